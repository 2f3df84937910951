/**
 * Scan results as a CycloneDX 1.6 BOM with vulnerabilities (the shape Dependency-Track and other
 * VEX consumers read): the image's SBOM as components, then one vulnerability per advisory id with
 * its source, ratings, CVE references, fix recommendation and the components it affects. Findings
 * silenced by the ignore file stay in the BOM with the rule's reason as the analysis detail, so
 * the document says what was looked at and why it was set aside rather than hiding it.
 */
import * as CDX from '@cyclonedx/cyclonedx-library';
import type { ImageScan } from '../vuln/image.ts';
import type { Vuln } from '../vuln/matcher.ts';
import type { Severity } from '../vuln/severity.ts';
import { toCycloneDxModel, type BomOptions } from './cyclonedx.ts';

const V = CDX.Models.Vulnerability;

const M = CDX.Enums.Vulnerability.RatingMethod;

/**
 * The rating method of a score: the version its vector names (`CVSS:3.1/…` is CVSSv31,
 * `CVSS:4.0/…` CVSSv4, a prefix-less `AV:N/…` CVSSv2), whichever source chose the severity level;
 * `other` when there is no vector.
 */
export function ratingMethod(vector: string | undefined): CDX.Enums.Vulnerability.RatingMethod {
  if (!vector) return M.Other;
  if (/^CVSS:3\.0\//.test(vector)) return M.CVSSv3;
  if (/^CVSS:3\.1\//.test(vector)) return M.CVSSv31;
  if (/^CVSS:4\.0\//.test(vector)) return M.CVSSv4;
  if (/^\(?AV:[LAN]\//.test(vector)) return M.CVSSv2;
  return M.Other;
}

function sourceOf(id: string, url?: string): CDX.Models.Vulnerability.Source {
  if (/^CVE-\d+-\d+$/.test(id)) return new V.Source({ name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` });
  return new V.Source({ name: 'OSV', url: url ?? `https://osv.dev/vulnerability/${id}` });
}

function rating(s: Severity): CDX.Models.Vulnerability.Rating {
  const method = ratingMethod(s.vector);
  return new V.Rating({
    severity: s.level as CDX.Enums.Vulnerability.Severity,
    ...(s.score !== undefined ? { score: s.score } : {}),
    ...(s.vector ? { vector: s.vector } : {}),
    method,
    justification: `distill: severity from ${s.source === 'advisory' ? "the advisory's own rating" : s.source === 'none' ? 'nothing (no rating in the record)' : s.source.replace('_', ' ')}`,
  });
}

/** The scan as a CycloneDX model: the SBOM's components plus a vulnerabilities section. */
export function scanToCycloneDxModel(r: ImageScan, opts: BomOptions = {}): CDX.Models.Bom {
  const bom = toCycloneDxModel(r.sbom, opts);
  const byPurl = new Map<string, CDX.Models.Component>();
  for (const c of bom.components) if (c.purl && !byPurl.has(c.purl.toString())) byPurl.set(c.purl.toString(), c);

  // One vulnerability per advisory id, affecting every component it was found in, each at the
  // version installed there (one advisory can hit a package at several versions in one image).
  // Findings an ignore rule silenced get entries of their own, so the analysis (the rule's reason)
  // covers exactly the components it was given for.
  interface Group {
    v: Vuln;
    found: Map<string, Vuln>;
    ignored?: string;
  }
  const groups = new Map<string, Group>();
  const add = (v: Vuln, ignored?: string) => {
    const key = ignored === undefined ? v.id : `${v.id}\u0000${ignored}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { v, found: new Map(), ...(ignored !== undefined ? { ignored } : {}) }));
    if (v.package.purl && !g.found.has(v.package.purl)) g.found.set(v.package.purl, v);
  };
  for (const v of r.vulnerabilities) add(v);
  for (const i of r.ignored) add(i.vulnerability, i.rule.reason);

  const refs = new Set<string>();
  for (const { v, found, ignored } of groups.values()) {
    const id = v.id;
    let bomRef = ignored === undefined ? `distill:vuln:${id}` : `distill:vuln:${id}:ignored`;
    for (let n = 2; refs.has(bomRef); n++) bomRef = `distill:vuln:${id}:ignored:${n}`;
    refs.add(bomRef);
    const findings = found.size ? [...found.values()] : [v];
    const upgrades = [...new Set(findings.filter((f) => f.fixedVersions.length).map((f) => `${f.package.name} to ${f.fixedVersions[0]}`))];
    const vuln = new V.Vulnerability({
      bomRef,
      id,
      source: sourceOf(id, v.url),
      ...(v.summary ? { description: v.summary } : {}),
      recommendation: upgrades.length ? `Upgrade ${upgrades.join(', ')} or later.` : 'No fixed version is known yet.',
      ...(v.published ? { published: new Date(v.published) } : {}),
      ...(v.modified ? { updated: new Date(v.modified) } : {}),
      ...(ignored ? { analysis: new V.Analysis({ detail: `ignored by the ignore file: ${ignored}` }) } : {}),
    });
    vuln.ratings.add(rating(v.severity));
    for (const alias of new Set([...v.aliases, ...v.cves])) if (alias !== id) vuln.references.add(new V.Reference(alias, sourceOf(alias)));
    if (v.url) vuln.advisories.add(new V.Advisory(v.url));
    for (const [purl, f] of found) {
      const c = byPurl.get(purl);
      if (!c) continue;
      vuln.affects.add(new V.Affect(c.bomRef, { versions: new V.AffectedVersionRepository([new V.AffectedSingleVersion(f.installedVersion, { status: CDX.Enums.Vulnerability.AffectStatus.Affected })]) }));
    }
    const fixed = [...new Set(findings.flatMap((f) => f.fixedVersions))];
    vuln.properties.add(new CDX.Models.Property('distill:fixed-versions', fixed.join(', ') || 'none'));
    bom.vulnerabilities.add(vuln);
  }
  return bom;
}

/** CycloneDX 1.6 JSON text of a scan. */
export function scanToCycloneDxJson(r: ImageScan, opts: BomOptions = {}): string {
  const ser = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return ser.serialize(scanToCycloneDxModel(r, opts), { sortLists: true, space: 2 }) + '\n';
}
