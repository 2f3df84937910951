/**
 * The OSV schema (https://ossf.github.io/osv-schema/) as zod 4 types: the fields distill reads,
 * tolerant of every field it does not (unknown keys pass through untouched), so records from
 * newer schema versions still parse. Lists written as `null` (real exports have
 * `"versions": null`) read as empty, as the OSV project's own lenient readers do; an affected
 * package whose ecosystem is empty or not an OSV ecosystem rejects the record, like a missing one.
 *
 * An import parses hundreds of thousands of records and a scan parses none, so zod is neither on
 * the hot path nor loaded at start-up: a hand-written check accepts the well-formed records (the
 * vast majority) with the same result zod would give, and only a record it does not accept goes
 * through the zod schemas (loaded then), which decide and word the error.
 */
import { createRequire } from 'node:module';
import type * as Zod from 'zod';

type ZodModule = typeof Zod;

/** A list that may be absent or `null`: both read as empty. */
function list<T extends Zod.ZodType>(z: ZodModule, item: T) {
  return z.preprocess((v) => v ?? [], z.array(item));
}

/** An optional list that may be `null`: read as absent. */
function optionalList<T extends Zod.ZodType>(z: ZodModule, item: T) {
  return z.preprocess((v) => v ?? undefined, z.array(item).optional());
}

/** An optional object that may be `null`: read as absent. */
function optionalRecord(z: ZodModule) {
  return z.preprocess((v) => v ?? undefined, z.record(z.string(), z.unknown()).optional());
}

/** An optional string that may be `null`: read as absent. */
function optionalString(z: ZodModule) {
  return z.preprocess((v) => v ?? undefined, z.string().optional());
}

/**
 * Base names of the ecosystems the OSV schema defines (https://ossf.github.io/osv-schema/#defined-ecosystems);
 * a release suffix (`Debian:12`, `Ubuntu:Pro:22.04:LTS`) is allowed after the base.
 */
export const OSV_ECOSYSTEMS: ReadonlySet<string> = new Set([
  'AlmaLinux', 'Alpaquita', 'Alpine', 'Android', 'Azure Linux', 'BellSoft Hardened Containers', 'Bioconductor', 'Bitnami',
  'Chainguard', 'CleanStart', 'ConanCenter', 'CRAN', 'crates.io', 'Debian', 'Docker Hardened Images', 'Echo', 'GHC',
  'GitHub Actions', 'Go', 'Hackage', 'Hex', 'Julia', 'Kubernetes', 'Linux', 'Mageia', 'Maven', 'MinimOS', 'npm', 'NuGet',
  'opam', 'openEuler', 'openSUSE', 'OSS-Fuzz', 'Packagist', 'Photon OS', 'Pub', 'PyPI', 'Red Hat', 'Rocky Linux',
  'RubyGems', 'SUSE', 'SwiftURL', 'Ubuntu', 'VSCode', 'Wolfi',
]);

/** Whether `ecosystem` (with or without a release suffix) is one the OSV schema defines. */
export function isOsvEcosystem(ecosystem: string): boolean {
  const i = ecosystem.indexOf(':');
  return OSV_ECOSYSTEMS.has(i < 0 ? ecosystem : ecosystem.slice(0, i));
}

/** The zod schemas, built over whichever zod instance is given (types come from here too). */
function buildSchemas(z: ZodModule) {
  /** One range event: exactly one of introduced / fixed / last_affected / limit. */
  const OsvEvent = z.looseObject({
    introduced: z.string().optional(),
    fixed: z.string().optional(),
    last_affected: z.string().optional(),
    limit: z.string().optional(),
  });
  const OsvRange = z.looseObject({
    type: z.string(), // ECOSYSTEM | SEMVER | GIT (and future types, which we skip)
    repo: optionalString(z),
    events: list(z, OsvEvent),
    database_specific: z.unknown().optional(),
  });
  const OsvSeverity = z.looseObject({
    type: z.string(), // CVSS_V2 | CVSS_V3 | CVSS_V4 | Ubuntu
    score: z.string(),
  });
  const OsvAffected = z.looseObject({
    package: z
      .looseObject({
        ecosystem: z.string(),
        name: z.string(),
        purl: optionalString(z),
      })
      .optional(),
    severity: optionalList(z, OsvSeverity),
    ranges: list(z, OsvRange),
    versions: list(z, z.string()),
    ecosystem_specific: optionalRecord(z),
    database_specific: optionalRecord(z),
  });
  const OsvRecord = z.looseObject({
    schema_version: z.string().optional(),
    id: z.string().min(1),
    modified: z.string(),
    published: optionalString(z),
    withdrawn: optionalString(z),
    aliases: list(z, z.string()),
    related: optionalList(z, z.string()),
    upstream: optionalList(z, z.string()),
    summary: optionalString(z),
    details: optionalString(z),
    severity: optionalList(z, OsvSeverity),
    affected: list(z, OsvAffected),
    references: optionalList(z, z.looseObject({ type: z.string(), url: z.string() })),
    database_specific: optionalRecord(z),
  });
  return { OsvEvent, OsvRange, OsvSeverity, OsvAffected, OsvRecord };
}

type Schemas = ReturnType<typeof buildSchemas>;
export type OsvEvent = Zod.infer<Schemas['OsvEvent']>;
export type OsvRange = Zod.infer<Schemas['OsvRange']>;
export type OsvSeverity = Zod.infer<Schemas['OsvSeverity']>;
export type OsvAffected = Zod.infer<Schemas['OsvAffected']>;
export type OsvRecord = Zod.infer<Schemas['OsvRecord']>;

let schemas: Schemas | undefined;

/** The zod schemas, loaded on first use (synchronously: parseOsvRecord is synchronous). */
export function osvSchemas(): Schemas {
  schemas ??= buildSchemas(createRequire(import.meta.url)('zod') as ZodModule);
  return schemas;
}

// ---- The fast path: accept only what zod certainly accepts, and build what zod would return. ----

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// z.record() takes plain objects only; JSON.parse makes nothing else, but a caller might.
function isPlain(v: unknown): v is Obj {
  if (!isObj(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

const isNil = (v: unknown): v is null | undefined => v === null || v === undefined;
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const nilOrStr = (v: unknown): boolean => isNil(v) || typeof v === 'string';
const nilOrPlain = (v: unknown): boolean => isNil(v) || isPlain(v);

function nilOrListOf(v: unknown, ok: (x: unknown) => boolean): boolean {
  if (isNil(v)) return true;
  if (!Array.isArray(v)) return false;
  for (const x of v) if (!ok(x)) return false;
  return true;
}

const isString = (v: unknown): boolean => typeof v === 'string';
const isSeverity = (v: unknown): boolean => isObj(v) && typeof v.type === 'string' && typeof v.score === 'string';
const isReference = (v: unknown): boolean => isObj(v) && typeof v.type === 'string' && typeof v.url === 'string';
const isEvent = (v: unknown): boolean => isObj(v) && optStr(v.introduced) && optStr(v.fixed) && optStr(v.last_affected) && optStr(v.limit);
const isRange = (v: unknown): boolean => isObj(v) && typeof v.type === 'string' && nilOrStr(v.repo) && nilOrListOf(v.events, isEvent);

function isAffected(v: unknown): boolean {
  if (!isObj(v)) return false;
  const p = v.package;
  if (p !== undefined && !(isObj(p) && typeof p.ecosystem === 'string' && typeof p.name === 'string' && nilOrStr(p.purl))) return false;
  return (
    nilOrListOf(v.severity, isSeverity) &&
    nilOrListOf(v.ranges, isRange) &&
    nilOrListOf(v.versions, isString) &&
    nilOrPlain(v.ecosystem_specific) &&
    nilOrPlain(v.database_specific)
  );
}

function isWellFormed(v: unknown): v is Obj {
  return (
    isObj(v) &&
    optStr(v.schema_version) &&
    typeof v.id === 'string' &&
    v.id.length > 0 &&
    typeof v.modified === 'string' &&
    nilOrStr(v.published) &&
    nilOrStr(v.withdrawn) &&
    nilOrStr(v.summary) &&
    nilOrStr(v.details) &&
    nilOrListOf(v.aliases, isString) &&
    nilOrListOf(v.related, isString) &&
    nilOrListOf(v.upstream, isString) &&
    nilOrListOf(v.severity, isSeverity) &&
    nilOrListOf(v.affected, isAffected) &&
    nilOrListOf(v.references, isReference) &&
    nilOrPlain(v.database_specific)
  );
}

// `null` for an optional field reads as absent, for a list field (`?? []`) as empty. Done in place
// and only where a null is: copying every record costs more than zod's own parse.
const OPTIONAL_FIELDS = ['published', 'withdrawn', 'summary', 'details', 'related', 'upstream', 'severity', 'references', 'database_specific'] as const;

function normaliseAffected(a: Obj): void {
  const p = a.package as Obj | undefined;
  if (p && p.purl === null) p.purl = undefined;
  if (a.severity === null) a.severity = undefined;
  if (a.ranges === null || a.ranges === undefined) a.ranges = [];
  for (const r of a.ranges as Obj[]) {
    if (r.repo === null) r.repo = undefined;
    if (r.events === null || r.events === undefined) r.events = [];
  }
  if (a.versions === null || a.versions === undefined) a.versions = [];
  if (a.ecosystem_specific === null) a.ecosystem_specific = undefined;
  if (a.database_specific === null) a.database_specific = undefined;
}

function normalise(v: Obj): OsvRecord {
  for (const k of OPTIONAL_FIELDS) if (v[k] === null) v[k] = undefined;
  if (v.aliases === null || v.aliases === undefined) v.aliases = [];
  if (v.affected === null || v.affected === undefined) v.affected = [];
  for (const a of v.affected as Obj[]) normaliseAffected(a);
  return v as OsvRecord;
}

/**
 * Parses one OSV record, or returns the reason it is not one. A well-formed input is returned
 * itself, its nulls normalised in place (callers pass a freshly parsed document they own).
 */
export function parseOsvRecord(json: unknown): { ok: true; record: OsvRecord } | { ok: false; error: string } {
  let record: OsvRecord;
  if (isWellFormed(json)) {
    record = normalise(json);
  } else {
    const r = osvSchemas().OsvRecord.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      return { ok: false, error: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not an OSV record' };
    }
    record = r.data;
  }
  const bad = record.affected.findIndex((a) => a.package && !isOsvEcosystem(a.package.ecosystem));
  if (bad < 0) return { ok: true, record };
  const eco = record.affected[bad]!.package!.ecosystem;
  return { ok: false, error: `affected.${bad}.package.ecosystem: ${eco === '' ? 'empty' : `unknown ecosystem ${JSON.stringify(eco)}`}` };
}
