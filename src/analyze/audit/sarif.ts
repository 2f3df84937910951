/** Audit findings as SARIF 2.1.0, so CI systems can show them beside code-scanning results. */
import { VERSION } from '../../version.ts';
import type { AuditResult } from './index.ts';
import { AUDIT_RULES, type AuditSeverity } from './rules.ts';

const LEVEL: Record<AuditSeverity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

/** A SARIF log with one run; each finding's location is the image reference (and path, if any). */
export function auditToSarif(r: AuditResult): object {
  const rules = Object.values(AUDIT_RULES).map((rule) => ({
    id: rule.id,
    name: rule.title.replace(/(^|\s)(\w)/g, (_m, _s, c: string) => c.toUpperCase()).replace(/\W/g, ''),
    shortDescription: { text: rule.title },
    help: { text: rule.fix },
    helpUri: `https://github.com/distill/distill/blob/main/docs/rules/${rule.id}.md`,
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: { 'security-severity': { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' }[rule.severity] },
  }));
  const uri = r.reference ?? r.digest;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'distill audit', version: VERSION, informationUri: 'https://github.com/distill/distill', rules } },
        results: r.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: rules.findIndex((x) => x.id === f.rule),
          level: LEVEL[f.severity],
          message: { text: `${f.title}: ${f.message}` },
          locations: [
            {
              physicalLocation: { artifactLocation: { uri: f.paths?.[0] ? `${uri}${f.paths[0]}` : uri } },
            },
          ],
        })),
      },
    ],
  };
}
