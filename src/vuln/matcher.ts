/**
 * Matches installed packages against OSV records, with the range semantics of the OSV schema:
 * a version is affected when it is listed in `versions`, or when, walking a range's events in
 * version order, the last event at or below it is an `introduced` (with `fixed` and `limit`
 * exclusive and `last_affected` inclusive upper bounds). `introduced: "0"` means "from the
 * start". GIT ranges need commit history and are skipped. Withdrawn records are ignored.
 *
 * Distro packages are matched under their release's ecosystem (`Debian:12`, `Alpine:v3.19`),
 * taken from the image's os-release, and by source package name where the cataloger knows it
 * (Debian and Alpine advisories name source packages).
 */
import type { OsvAffected, OsvEvent, OsvRange, OsvRecord } from './osv.ts';
import { severityOf, severityRank, type Severity } from './severity.ts';
import { baseEcosystem, schemeFor, semverScheme, type VersionScheme } from './versions/index.ts';
import { packageKey } from './db.ts';

/** os-release identity of an image: `ID` and `VERSION_ID`. */
export interface Distro {
  id: string;
  versionId?: string;
}

/** One installed package, as a cataloger reports it. */
export interface PackageInput {
  name: string;
  version: string;
  /** OSV ecosystem: `npm`, `PyPI`, `Go`, `Maven`, … or `Debian`/`Alpine` (release from `distro`) or `Debian:12`. */
  ecosystem: string;
  purl?: string;
  distro?: Distro;
  /** Source package, for distro packages whose advisories name the source (dpkg `Source:`, apk origin). */
  source?: { name: string; version?: string };
}

export interface Vuln {
  id: string;
  aliases: string[];
  /** CVE ids this finding is about: the id, aliases and upstream ids that are CVEs. */
  cves: string[];
  package: { name: string; version: string; ecosystem: string; purl?: string; source?: string };
  installedVersion: string;
  /** Versions that fix it for this package, lowest first; empty when no fix exists. */
  fixedVersions: string[];
  severity: Severity;
  summary: string;
  published?: string;
  modified: string;
  url?: string;
}

/** A package we could not match, and why (so scans say "unknown" rather than "clean"). */
export interface Skipped {
  package: { name: string; version: string; ecosystem: string };
  reason: string;
}

/** Where records come from: the on-disk DB or anything with the same lookup. */
export interface VulnSource {
  lookup(ecosystem: string, name: string): Promise<OsvRecord[]> | OsvRecord[];
  /**
   * Optional: told every (ecosystem, name) before the lookups, so a DB can read them in a few
   * large reads instead of one small read per record (thousands for a fat image).
   */
  prefetch?(wanted: { ecosystem: string; name: string }[]): Promise<void>;
}

const DISTRO_ECOSYSTEM: Record<string, (v: string) => string | undefined> = {
  debian: (v) => (/^\d+/.test(v) ? `Debian:${/^\d+/.exec(v)![0]}` : undefined),
  alpine: (v) => {
    const m = /^(\d+)\.(\d+)/.exec(v);
    return m ? `Alpine:v${m[1]}.${m[2]}` : undefined;
  },
  ubuntu: (v) => {
    const m = /^(\d+)\.(\d+)/.exec(v);
    if (!m) return undefined;
    // OSV marks LTS releases (even years, April) with a suffix.
    return Number(m[1]) % 2 === 0 && m[2] === '04' ? `Ubuntu:${m[1]}.${m[2]}:LTS` : `Ubuntu:${m[1]}.${m[2]}`;
  },
  rocky: (v) => (/^\d+/.test(v) ? `Rocky Linux:${/^\d+/.exec(v)![0]}` : undefined),
  almalinux: (v) => (/^\d+/.test(v) ? `AlmaLinux:${/^\d+/.exec(v)![0]}` : undefined),
  wolfi: () => 'Wolfi',
  chainguard: () => 'Chainguard',
};

/** The OSV ecosystem of a distro (`debian` 12 → `Debian:12`, `alpine` 3.19.1 → `Alpine:v3.19`), or undefined. */
export function osvEcosystemForDistro(distro: Distro): string | undefined {
  const f = DISTRO_ECOSYSTEM[distro.id.toLowerCase()];
  return f ? f(distro.versionId ?? '') : undefined;
}

const DISTRO_BASES = new Set(['Debian', 'Ubuntu', 'Alpine', 'Rocky Linux', 'AlmaLinux', 'Red Hat', 'SUSE', 'openSUSE']);

/** The exact OSV ecosystem to match `pkg` under, or undefined when the release is unknown. */
export function resolveEcosystem(pkg: PackageInput): string | undefined {
  if (pkg.ecosystem.includes(':')) return pkg.ecosystem;
  if (DISTRO_BASES.has(pkg.ecosystem)) {
    const eco = pkg.distro ? osvEcosystemForDistro(pkg.distro) : undefined;
    return eco && baseEcosystem(eco) === pkg.ecosystem ? eco : undefined;
  }
  return pkg.ecosystem;
}

function eventVersion(e: OsvEvent): string | undefined {
  return e.introduced ?? e.fixed ?? e.last_affected ?? e.limit;
}

// At one version, an introduction comes before the bounds that close it.
const EVENT_ORDER = (e: OsvEvent): number => (e.introduced !== undefined ? 0 : e.last_affected !== undefined ? 1 : e.fixed !== undefined ? 2 : 3);

/** Whether `version` falls in one OSV range (ECOSYSTEM or SEMVER), walking its sorted events. */
export function inRange(version: string, range: OsvRange, scheme: VersionScheme): boolean {
  const cmp = range.type === 'SEMVER' ? semverScheme.compare : scheme.compare;
  const order = (a: OsvEvent, b: OsvEvent): number => {
    if (a.introduced === '0' && b.introduced !== '0') return -1;
    if (b.introduced === '0' && a.introduced !== '0') return 1;
    const c = a.introduced === '0' && b.introduced === '0' ? 0 : cmp(eventVersion(a)!, eventVersion(b)!);
    return c !== 0 ? c : EVENT_ORDER(a) - EVENT_ORDER(b);
  };
  let events = range.events.filter((e) => eventVersion(e) !== undefined);
  // Exports list events in order nearly always; checking costs fewer comparisons than sorting.
  for (let i = 1; i < events.length; i++) {
    if (order(events[i - 1]!, events[i]!) > 0) {
      events = events.sort(order);
      break;
    }
  }
  let affected = false;
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (e.introduced === '0' || cmp(version, e.introduced) >= 0) affected = true;
    } else if (e.fixed !== undefined) {
      if (cmp(version, e.fixed) >= 0) affected = false;
    } else if (e.last_affected !== undefined) {
      if (cmp(version, e.last_affected) > 0) affected = false;
    } else if (e.limit !== undefined) {
      if (cmp(version, e.limit) >= 0) affected = false;
    }
  }
  return affected;
}

/** Whether `version` is affected by one `affected` entry; with the fixes that apply to it. */
export function affectedBy(version: string, affected: OsvAffected, scheme: VersionScheme): { affected: boolean; fixed: string[] } {
  const fixed = new Set<string>();
  let hit = affected.versions.some((v) => v === version || (scheme.valid(v) && scheme.valid(version) && scheme.compare(v, version) === 0));
  for (const range of affected.ranges) {
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    if (!inRange(version, range, scheme)) continue;
    hit = true;
    const cmp = range.type === 'SEMVER' ? semverScheme.compare : scheme.compare;
    // The lowest fix above the installed version is the one to upgrade to in this range.
    const next = range.events
      .flatMap((e) => (e.fixed !== undefined && cmp(e.fixed, version) > 0 ? [e.fixed] : []))
      .sort(cmp)[0];
    if (next) fixed.add(next);
  }
  return { affected: hit, fixed: [...fixed].sort(scheme.compare) };
}

// A distro's per-CVE record (DEBIAN-CVE-2024-1, UBUNTU-CVE-2024-1) is about that CVE even when it
// lists no alias or upstream: its id says so.
function cvesOf(r: OsvRecord): string[] {
  const all = [r.id, ...r.aliases, ...(r.upstream ?? [])].flatMap((x) => {
    const m = /^(?:[A-Z]+-)?(CVE-\d{4}-\d+)$/.exec(x);
    return m ? [m[1]!] : [];
  });
  return [...new Set(all)].sort();
}

/** What matching one package needs, worked out once for all of its records. */
interface MatchContext {
  pkg: PackageInput;
  ecosystem: string;
  base: string;
  scheme: VersionScheme;
  key: string;
  version: string;
}

function contextFor(pkg: PackageInput, ecosystem: string): MatchContext | undefined {
  const scheme = schemeFor(ecosystem);
  if (!scheme) return undefined;
  const base = baseEcosystem(ecosystem);
  return { pkg, ecosystem, base, scheme, key: packageKey(base, matchName(pkg, ecosystem)), version: matchVersion(pkg) };
}

/** Matches one package against one record; undefined when not affected or withdrawn. */
export function matchRecord(pkg: PackageInput, ecosystem: string, record: OsvRecord): Vuln | undefined {
  const ctx = contextFor(pkg, ecosystem);
  return ctx && matchWith(ctx, record);
}

function matchWith(ctx: MatchContext, record: OsvRecord): Vuln | undefined {
  if (record.withdrawn) return undefined;
  const { pkg, ecosystem, base, scheme, key, version } = ctx;
  const fixed = new Set<string>();
  let hit: OsvAffected | undefined;
  for (const a of record.affected) {
    if (!a.package) continue;
    // A record for `Debian` (no release) applies to every release; `Debian:11` only to 11.
    if (a.package.ecosystem !== ecosystem && a.package.ecosystem !== base) continue;
    if (packageKey(base, a.package.name) !== key) continue;
    const r = affectedBy(version, a, scheme);
    if (!r.affected) continue;
    hit ??= a;
    for (const f of r.fixed) fixed.add(f);
  }
  if (!hit) return undefined;
  const url = record.references?.find((r) => r.type === 'ADVISORY')?.url ?? record.references?.[0]?.url;
  return {
    id: record.id,
    aliases: record.aliases,
    cves: cvesOf(record),
    package: {
      name: pkg.name,
      version: pkg.version,
      ecosystem,
      ...(pkg.purl ? { purl: pkg.purl } : {}),
      ...(pkg.source && pkg.source.name !== pkg.name ? { source: pkg.source.name } : {}),
    },
    installedVersion: version,
    fixedVersions: [...fixed].sort(scheme.compare),
    severity: severityOf(record, hit),
    summary: record.summary ?? '',
    ...(record.published ? { published: record.published } : {}),
    modified: record.modified,
    ...(url ? { url } : {}),
  };
}

function isDistro(ecosystem: string): boolean {
  return DISTRO_BASES.has(baseEcosystem(ecosystem));
}

function matchName(pkg: PackageInput, ecosystem: string): string {
  return isDistro(ecosystem) && pkg.source?.name ? pkg.source.name : pkg.name;
}

// Distro advisories give source versions; a binNMU'd binary (+b1) has its own, so prefer the source's.
function matchVersion(pkg: PackageInput): string {
  return pkg.source?.version && isDistro(pkg.ecosystem) ? pkg.source.version : pkg.version;
}

/** All vulnerabilities affecting `pkgs`, plus the packages that could not be matched and why. */
export async function matchPackagesDetailed(pkgs: PackageInput[], db: VulnSource): Promise<{ vulns: Vuln[]; skipped: Skipped[] }> {
  const skipped: Skipped[] = [];
  const todo: { pkg: PackageInput; ecosystem: string; name: string }[] = [];
  for (const pkg of pkgs) {
    const id = { name: pkg.name, version: pkg.version, ecosystem: pkg.ecosystem };
    const ecosystem = resolveEcosystem(pkg);
    if (!ecosystem) {
      skipped.push({ package: id, reason: `release of ${pkg.ecosystem} unknown (no os-release VERSION_ID we can map)` });
      continue;
    }
    const scheme = schemeFor(ecosystem);
    if (!scheme) {
      skipped.push({ package: id, reason: `no version ordering for ecosystem ${ecosystem}` });
      continue;
    }
    if (!scheme.valid(matchVersion(pkg))) {
      skipped.push({ package: id, reason: `version ${matchVersion(pkg)} is not a valid ${scheme.name} version` });
      continue;
    }
    todo.push({ pkg, ecosystem, name: matchName(pkg, ecosystem) });
  }
  await db.prefetch?.(todo.map(({ ecosystem, name }) => ({ ecosystem, name })));
  const vulns: Vuln[] = [];
  for (const { pkg, ecosystem, name } of todo) {
    const records = await db.lookup(ecosystem, name);
    const ctx = contextFor(pkg, ecosystem)!;
    const seen = new Set<string>();
    const found: Vuln[] = [];
    for (const r of records) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      const v = matchWith(ctx, r);
      if (v) found.push(v);
    }
    vulns.push(...dedupeAliases(found));
  }
  return { vulns, skipped };
}

/** All vulnerabilities affecting `pkgs` (see matchPackagesDetailed for the skipped ones). */
export async function matchPackages(pkgs: PackageInput[], db: VulnSource): Promise<Vuln[]> {
  return (await matchPackagesDetailed(pkgs, db)).vulns;
}

// Rank of an id prefix when two records describe the same vulnerability: the most specific wins.
function idRank(id: string): number {
  if (/^(DSA|DLA|DTSA|GO)-/.test(id)) return 0;
  if (id.startsWith('GHSA-')) return 1;
  if (/^[A-Z]+-CVE-/.test(id) || id.startsWith('CVE-')) return 3;
  return 2;
}

/**
 * Merges findings for one package that are the same vulnerability: records naming each other as
 * aliases (GHSA-x and PYSEC-y) or about the same CVE (a DSA and the DEBIAN-CVE records of the
 * CVEs it fixes). Keeps the most specific id, the union of aliases, CVEs and fixes, and the
 * highest known severity.
 */
export function dedupeAliases(found: Vuln[]): Vuln[] {
  const out: Vuln[] = [];
  for (const v of [...found].sort((a, b) => idRank(a.id) - idRank(b.id) || a.id.localeCompare(b.id))) {
    const keys = new Set([v.id, ...v.aliases, ...v.cves]);
    const same = out.find((o) => [o.id, ...o.aliases, ...o.cves].some((k) => keys.has(k)));
    if (!same) {
      out.push(v);
      continue;
    }
    same.aliases = [...new Set([...same.aliases, v.id, ...v.aliases].filter((a) => a !== same.id))].sort();
    same.cves = [...new Set([...same.cves, ...v.cves])].sort();
    same.fixedVersions = [...new Set([...same.fixedVersions, ...v.fixedVersions])].sort(schemeFor(same.package.ecosystem)?.compare);
    if (severityRank(v.severity.level) > severityRank(same.severity.level)) same.severity = v.severity;
  }
  return out;
}
