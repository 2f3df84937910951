/** Scan results as SARIF 2.1.0: one rule per vulnerability id, one result per affected package. */
import { VERSION } from '../version.ts';
import type { ImageScan } from './image.ts';
import type { SeverityLevel } from './severity.ts';

const LEVEL: Record<SeverityLevel, 'error' | 'warning' | 'note' | 'none'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', none: 'none', unknown: 'warning' };

export function scanToSarif(r: ImageScan): object {
  const ids = [...new Set(r.vulnerabilities.map((v) => v.id))];
  const rules = ids.map((id) => {
    const v = r.vulnerabilities.find((x) => x.id === id)!;
    return {
      id,
      shortDescription: { text: v.summary || id },
      ...(v.url ? { helpUri: v.url } : {}),
      properties: { ...(v.severity.score !== undefined ? { 'security-severity': v.severity.score.toFixed(1) } : {}), tags: ['vulnerability', 'security'] },
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'distill scan', version: VERSION, informationUri: 'https://github.com/distill/distill', rules } },
        results: r.vulnerabilities.map((v) => ({
          ruleId: v.id,
          ruleIndex: ids.indexOf(v.id),
          level: LEVEL[v.severity.level],
          message: {
            text: `${v.package.name} ${v.installedVersion} is affected by ${v.id}${v.cves.length ? ` (${v.cves.join(', ')})` : ''}; ${v.fixedVersions.length ? `fixed in ${v.fixedVersions[0]}` : 'no fix yet'}. Severity ${v.severity.level} (${v.severity.source}).`,
          },
          locations: [{ physicalLocation: { artifactLocation: { uri: `${r.image.name}${v.package.purl ? `#${v.package.purl}` : ''}` } } }],
        })),
      },
    ],
  };
}
