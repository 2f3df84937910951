/** Scan results as SARIF 2.1.0: one rule per vulnerability id, one result per affected package. */
import type { ImageScan } from '../vuln/image.ts';
import type { Vuln } from '../vuln/matcher.ts';
import type { SeverityLevel } from '../vuln/severity.ts';
import { VERSION } from '../version.ts';
import { toSarif, type SarifLevel, type SarifRule } from './sarif.ts';

const LEVEL: Record<SeverityLevel, SarifLevel> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', none: 'none', unknown: 'warning' };

/** The rule of an advisory, described by its first finding (every finding of one id shares it). */
function advisoryRule(v: Vuln): SarifRule {
  return {
    id: v.id,
    shortDescription: v.summary || v.id,
    ...(v.url ? { helpUri: v.url } : {}),
    properties: { ...(v.severity.score !== undefined ? { 'security-severity': v.severity.score.toFixed(1) } : {}), tags: ['vulnerability', 'security'] },
  };
}

function findingMessage(v: Vuln): string {
  const cves = v.cves.length ? ` (${v.cves.join(', ')})` : '';
  const fix = v.fixedVersions.length ? `fixed in ${v.fixedVersions[0]}` : 'no fix yet';
  return `${v.package.name} ${v.installedVersion} is affected by ${v.id}${cves}; ${fix}. Severity ${v.severity.level} (${v.severity.source}).`;
}

/** A SARIF log with one run; each result's location is the image, with the package's purl as fragment. */
export function scanToSarif(r: Pick<ImageScan, 'image' | 'vulnerabilities'>): Record<string, unknown> {
  const first = new Map<string, Vuln>();
  for (const v of r.vulnerabilities) if (!first.has(v.id)) first.set(v.id, v);
  return toSarif(
    { name: 'distill scan', version: VERSION, informationUri: 'https://github.com/distill/distill' },
    [...first.values()].map(advisoryRule),
    r.vulnerabilities.map((v) => ({
      ruleId: v.id,
      level: LEVEL[v.severity.level],
      message: findingMessage(v),
      uri: `${r.image.name}${v.package.purl ? `#${v.package.purl}` : ''}`,
    })),
  );
}
