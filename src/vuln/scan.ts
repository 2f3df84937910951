/**
 * The library behind `distill scan`: match a package list against the OSV DB, apply the user's
 * filters (`--severity`, `--ignore-unfixed`) and ignore/VEX file, and summarise, so the command
 * only renders. The ignore file (YAML or JSON) is a list of `{id, package?, reason, expires?}`
 * (or `{ignore: [...]}`); `id` matches a finding's id, an alias or a CVE; a reason is required so
 * every suppression is explained; expired entries stop applying and are reported.
 *
 * YAML and zod are loaded only when there is an ignore file to read: together they take longer to
 * load than a scan of a typical image takes to match.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type * as Zod from 'zod';
import { codeOf, DistillError, isDistillError } from '../util/errors.ts';
import { dbStatus, defaultOsvDir, HOW_TO_GET_A_DB, openOsvDb, STALE_AFTER_DAYS, type DbStatus, type OsvDb } from './db.ts';
import { matchPackagesDetailed, type PackageInput, type Skipped, type Vuln, type VulnSource } from './matcher.ts';
import { ensureOsvDb, isRemote, type DownloadProgress, type OsvSource } from './source.ts';
import { baseEcosystem } from './versions/index.ts';
import { SEVERITY_LEVELS, severityRank, type SeverityLevel } from './severity.ts';

function ignoreFileSchema(z: typeof Zod) {
  const rule = z.object({
    id: z.string().min(1),
    package: z.string().min(1).optional(),
    reason: z.string().min(1, 'a reason is required'),
    expires: z.union([z.string(), z.date()]).optional(),
  });
  return z.union([z.array(rule), z.object({ ignore: z.array(rule) }).transform((o) => o.ignore)]);
}

/** One rule of an ignore/VEX file. */
export type IgnoreRule = Zod.infer<ReturnType<typeof ignoreFileSchema>>[number];

let ignoreFile: ReturnType<typeof ignoreFileSchema> | undefined;
const load = createRequire(import.meta.url);

/** Loads and validates an ignore/VEX file (YAML or JSON). */
export function loadIgnoreFile(path: string): IgnoreRule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DistillError(path, 'cannot read ignore file', { code: codeOf(e) });
  }
  let data: unknown;
  try {
    data = (load('yaml') as typeof Yaml).parse(text); // YAML is a superset of JSON
  } catch (e) {
    throw new DistillError(path, `not valid YAML or JSON: ${(e as Error).message}`, { code: 'E_INPUT' });
  }
  ignoreFile ??= ignoreFileSchema(load('zod') as typeof Zod);
  const r = ignoreFile.safeParse(data ?? []);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new DistillError(path, `invalid ignore file at ${i.path.join('.') || '(root)'}: ${i.message} (expected a list of {id, package?, reason, expires?})`, { code: 'E_INPUT' });
  }
  for (const rule of r.data) {
    if (rule.expires !== undefined && Number.isNaN(new Date(rule.expires).getTime())) {
      throw new DistillError(path, `ignore rule ${rule.id}: expires is not a date: ${String(rule.expires)}`, { code: 'E_INPUT' });
    }
  }
  return r.data;
}

function ruleMatches(rule: IgnoreRule, v: Vuln): boolean {
  const ids = new Set([v.id, ...v.aliases, ...v.cves]);
  if (!ids.has(rule.id)) return false;
  if (rule.package === undefined) return true;
  return rule.package === v.package.name || rule.package === v.package.purl || rule.package === v.package.source;
}

export interface ScanOptions {
  /** An open DB or any record source; default: the DB in the cache. */
  db?: VulnSource & { meta?: OsvDb['meta'] };
  /** DB directory when `db` is not given. */
  dbDir?: string;
  /** Keep only these levels (e.g. `['high', 'critical']`). */
  severity?: SeverityLevel[];
  ignoreUnfixed?: boolean;
  /** Path of an ignore/VEX file, or rules already loaded. */
  ignoreFile?: string;
  ignoreRules?: IgnoreRule[];
  now?: Date;
  /** Fetch or refresh the ecosystems these packages need from this source first (offline: never). */
  update?: OsvSource;
  onProgress?: (p: DownloadProgress) => void;
}

/** Totals of the kept findings: all, those with a fixed version, those without. */
export interface VulnTotals {
  total: number;
  fixed: number;
  unfixed: number;
}

export interface ScanResult {
  db: Pick<DbStatus, 'dbDate' | 'importedAt' | 'ageDays' | 'stale'> | null;
  packages: number;
  vulnerabilities: Vuln[];
  ignored: { vulnerability: Vuln; rule: IgnoreRule }[];
  /** Findings dropped by `--severity` or `--ignore-unfixed`. */
  filtered: number;
  skipped: Skipped[];
  counts: Record<SeverityLevel, number>;
  /** Totals with the fixed/unfixed split (unfixed: Trivy's affected / will_not_fix). */
  totals: VulnTotals;
  warnings: string[];
}

/** The base OSV ecosystems a package list needs (`Debian`, `npm`, …): what a scan fetches. */
export function neededEcosystems(pkgs: PackageInput[]): string[] {
  return [...new Set(pkgs.map((p) => baseEcosystem(p.ecosystem)))].sort();
}

/** Scans a package list: matching, filters, ignore rules, counts, DB age warnings. */
export async function scanPackages(pkgs: PackageInput[], opts: ScanOptions = {}): Promise<ScanResult> {
  const now = opts.now ?? new Date();
  const warnings: string[] = [];
  const rules = opts.ignoreRules ?? (opts.ignoreFile ? loadIgnoreFile(opts.ignoreFile) : []);
  const active = rules.filter((r) => {
    if (r.expires === undefined || new Date(r.expires).getTime() > now.getTime()) return true;
    warnings.push(`ignore rule for ${r.id} expired on ${new Date(r.expires).toISOString().slice(0, 10)}; it no longer applies`);
    return false;
  });

  let owned: OsvDb | undefined;
  let source: VulnSource;
  let status: ScanResult['db'] = null;
  if (opts.db) {
    source = opts.db;
    if (opts.db.meta) status = statusFromMeta(opts.db.meta, now);
  } else {
    if (opts.update) {
      const ensured = await ensureOsvDb(neededEcosystems(pkgs), { source: opts.update, ...(opts.dbDir ? { dir: opts.dbDir } : {}), now, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
      warnings.push(...ensured.warnings);
    }
    try {
      owned = await openOsvDb(opts.dbDir);
    } catch (e) {
      if (!isDistillError(e, 'E_NO_DB')) throw e;
      const why = opts.update?.offline && isRemote(opts.update) ? 'offline, so nothing was fetched' : warnings[0] ?? `none in ${opts.dbDir ?? defaultOsvDir()}`;
      // A failed update's warning already says how to get a DB: say it once.
      throw new DistillError(opts.dbDir ?? defaultOsvDir(), why.includes(HOW_TO_GET_A_DB) ? `no DB (${why})` : `no DB (${why}); ${HOW_TO_GET_A_DB}`, { code: 'E_NO_DB' });
    }
    source = owned;
    const s = await dbStatus(owned.dir, now);
    status = { dbDate: s.dbDate, importedAt: s.importedAt, ageDays: s.ageDays, stale: s.stale };
  }
  try {
    if (status?.stale) warnings.push(`the vulnerability database is ${status.ageDays ?? '?'} days old (newest record ${status.dbDate ?? 'unknown'}); run \`distill db update\``);
    const { vulns, skipped } = await matchPackagesDetailed(pkgs, source);
    const ignored: ScanResult['ignored'] = [];
    const kept: Vuln[] = [];
    let filtered = 0;
    for (const v of vulns) {
      const rule = active.find((r) => ruleMatches(r, v));
      if (rule) {
        ignored.push({ vulnerability: v, rule });
        continue;
      }
      if (opts.ignoreUnfixed && v.fixedVersions.length === 0) {
        filtered++;
        continue;
      }
      if (opts.severity?.length && !opts.severity.includes(v.severity.level)) {
        filtered++;
        continue;
      }
      kept.push(v);
    }
    // Worst first: level, then score within a level; then stable by package, version, id.
    kept.sort(
      (a, b) =>
        severityRank(b.severity.level) - severityRank(a.severity.level) ||
        (b.severity.score ?? -1) - (a.severity.score ?? -1) ||
        a.package.name.localeCompare(b.package.name) ||
        a.package.version.localeCompare(b.package.version) ||
        a.id.localeCompare(b.id),
    );
    const counts = Object.fromEntries(SEVERITY_LEVELS.map((l) => [l, 0])) as Record<SeverityLevel, number>;
    for (const v of kept) counts[v.severity.level]++;
    const fixed = kept.filter((v) => v.fixedVersions.length > 0).length;
    const totals = { total: kept.length, fixed, unfixed: kept.length - fixed };
    return { db: status, packages: pkgs.length, vulnerabilities: kept, ignored, filtered, skipped, counts, totals, warnings };
  } finally {
    await owned?.close();
  }
}

function statusFromMeta(meta: OsvDb['meta'], now: Date): NonNullable<ScanResult['db']> {
  const ageDays = meta.dbDate ? Math.floor((now.getTime() - Date.parse(meta.dbDate)) / 86_400_000) : null;
  return { dbDate: meta.dbDate, importedAt: meta.importedAt, ageDays, stale: ageDays === null || ageDays > STALE_AFTER_DAYS };
}

/** Whether any finding is at or above `level` (for `--fail-on`). */
export function exceedsThreshold(result: ScanResult, level: SeverityLevel): boolean {
  return result.vulnerabilities.some((v) => severityRank(v.severity.level) >= severityRank(level));
}
