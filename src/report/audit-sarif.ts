/** Audit findings as SARIF 2.1.0, so CI systems can show them beside code-scanning results. */
import type { AuditResult } from '../analyze/audit/index.ts';
import { AUDIT_RULES, type AuditSeverity } from '../analyze/audit/rules.ts';
import { VERSION } from '../version.ts';
import { toSarif, type SarifLevel, type SarifRule } from './sarif.ts';

const LEVEL: Record<AuditSeverity, SarifLevel> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** GitHub code scanning ranks security results by this 0–10 score. */
const SECURITY_SEVERITY: Record<AuditSeverity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** `shell present` -> `ShellPresent`: SARIF rule names are identifiers. */
function ruleName(title: string): string {
  return title.replace(/(^|\s)(\w)/g, (_m, _s, c: string) => c.toUpperCase()).replace(/\W/g, '');
}

/** A SARIF log with one run; each finding's location is the image reference (and path, if any). */
export function auditToSarif(r: Pick<AuditResult, 'reference' | 'digest' | 'findings'>): Record<string, unknown> {
  const rules: SarifRule[] = Object.values(AUDIT_RULES).map((rule) => ({
    id: rule.id,
    name: ruleName(rule.title),
    shortDescription: rule.title,
    help: rule.fix,
    helpUri: `https://github.com/distill/distill/blob/main/docs/rules/${rule.id}.md`,
    severity: LEVEL[rule.severity],
    properties: { 'security-severity': SECURITY_SEVERITY[rule.severity] },
  }));
  const image = r.reference ?? r.digest;
  return toSarif(
    { name: 'distill audit', version: VERSION, informationUri: 'https://github.com/distill/distill' },
    rules,
    r.findings.map((f) => ({
      ruleId: f.rule,
      level: LEVEL[f.severity],
      message: `${f.title}: ${f.message}`,
      uri: f.paths?.[0] ? `${image}${f.paths[0]}` : image,
    })),
  );
}
