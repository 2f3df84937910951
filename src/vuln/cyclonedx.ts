/**
 * Scan results as a CycloneDX 1.6 BOM with vulnerabilities (the shape Dependency-Track and other
 * VEX consumers read): the image's SBOM as components, then one vulnerability per advisory id with
 * its source, ratings, CVE references, fix recommendation and the components it affects. Findings
 * silenced by the ignore file stay in the BOM with the rule's reason as the analysis detail, so
 * the document says what was looked at and why it was set aside rather than hiding it.
 */
import * as CDX from '@cyclonedx/cyclonedx-library';
import { toCycloneDxModel, type BomOptions } from '../report/cyclonedx.ts';
import type { ImageScan } from './image.ts';
import type { Vuln } from './matcher.ts';
import type { Severity } from './severity.ts';

const V = CDX.Models.Vulnerability;

const METHOD: Partial<Record<Severity['source'], CDX.Enums.Vulnerability.RatingMethod>> = {
  cvss_v3: CDX.Enums.Vulnerability.RatingMethod.CVSSv31,
  cvss_v4: CDX.Enums.Vulnerability.RatingMethod.CVSSv4,
};

function sourceOf(id: string, url?: string): CDX.Models.Vulnerability.Source {
  if (/^CVE-\d+-\d+$/.test(id)) return new V.Source({ name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` });
  return new V.Source({ name: 'OSV', url: url ?? `https://osv.dev/vulnerability/${id}` });
}

function rating(s: Severity): CDX.Models.Vulnerability.Rating {
  const method = s.vector && /^CVSS:3\.0\//.test(s.vector) ? CDX.Enums.Vulnerability.RatingMethod.CVSSv3 : METHOD[s.source];
  return new V.Rating({
    severity: s.level as CDX.Enums.Vulnerability.Severity,
    ...(s.score !== undefined ? { score: s.score } : {}),
    ...(s.vector ? { vector: s.vector } : {}),
    ...(method ? { method } : { method: CDX.Enums.Vulnerability.RatingMethod.Other }),
    justification: `distill: severity from ${s.source === 'advisory' ? "the advisory's own rating" : s.source === 'none' ? 'nothing (no rating in the record)' : s.source.replace('_', ' ')}`,
  });
}

/** The scan as a CycloneDX model: the SBOM's components plus a vulnerabilities section. */
export function scanToCycloneDxModel(r: ImageScan, opts: BomOptions = {}): CDX.Models.Bom {
  const bom = toCycloneDxModel(r.sbom, opts);
  const byPurl = new Map<string, CDX.Models.Component>();
  for (const c of bom.components) if (c.purl && !byPurl.has(c.purl.toString())) byPurl.set(c.purl.toString(), c);

  // One vulnerability per advisory id, affecting every component it was found in.
  const groups = new Map<string, { v: Vuln; purls: Set<string>; ignored?: string }>();
  const add = (v: Vuln, ignored?: string) => {
    const g = groups.get(v.id) ?? { v, purls: new Set<string>(), ...(ignored ? { ignored } : {}) };
    if (v.package.purl) g.purls.add(v.package.purl);
    groups.set(v.id, g);
  };
  for (const v of r.vulnerabilities) add(v);
  for (const i of r.ignored) add(i.vulnerability, i.rule.reason);

  for (const [id, { v, purls, ignored }] of groups) {
    const vuln = new V.Vulnerability({
      bomRef: `distill:vuln:${id}`,
      id,
      source: sourceOf(id, v.url),
      ...(v.summary ? { description: v.summary } : {}),
      recommendation: v.fixedVersions.length ? `Upgrade ${v.package.name} to ${v.fixedVersions[0]} or later.` : 'No fixed version is known yet.',
      ...(v.published ? { published: new Date(v.published) } : {}),
      ...(v.modified ? { updated: new Date(v.modified) } : {}),
      ...(ignored ? { analysis: new V.Analysis({ detail: `ignored by the ignore file: ${ignored}` }) } : {}),
    });
    vuln.ratings.add(rating(v.severity));
    for (const alias of new Set([...v.aliases, ...v.cves])) if (alias !== id) vuln.references.add(new V.Reference(alias, sourceOf(alias)));
    if (v.url) vuln.advisories.add(new V.Advisory(v.url));
    for (const purl of purls) {
      const c = byPurl.get(purl);
      if (!c) continue;
      vuln.affects.add(new V.Affect(c.bomRef, { versions: new V.AffectedVersionRepository([new V.AffectedSingleVersion(v.installedVersion, { status: CDX.Enums.Vulnerability.AffectStatus.Affected })]) }));
    }
    vuln.properties.add(new CDX.Models.Property('distill:fixed-versions', v.fixedVersions.join(', ') || 'none'));
    bom.vulnerabilities.add(vuln);
  }
  return bom;
}

/** CycloneDX 1.6 JSON text of a scan. */
export function scanToCycloneDxJson(r: ImageScan, opts: BomOptions = {}): string {
  const ser = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return ser.serialize(scanToCycloneDxModel(r, opts), { sortLists: true, space: 2 }) + '\n';
}
