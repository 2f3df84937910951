/**
 * The OSV schema (https://ossf.github.io/osv-schema/) as zod 4 types: the fields distill reads,
 * tolerant of every field it does not (unknown keys pass through untouched), so records from
 * newer schema versions still parse. Lists written as `null` (real exports have
 * `"versions": null`) read as empty, as the OSV project's own lenient readers do; an affected
 * package whose ecosystem is empty or not an OSV ecosystem rejects the record, like a missing one.
 */
import { z } from 'zod';

/** A list that may be absent or `null`: both read as empty. */
function list<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => v ?? [], z.array(item));
}

/** An optional list that may be `null`: read as absent. */
function optionalList<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => v ?? undefined, z.array(item).optional());
}

/** An optional object that may be `null`: read as absent. */
function optionalRecord() {
  return z.preprocess((v) => v ?? undefined, z.record(z.string(), z.unknown()).optional());
}

/** An optional string that may be `null`: read as absent. */
const optionalString = z.preprocess((v) => v ?? undefined, z.string().optional());

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

/** One range event: exactly one of introduced / fixed / last_affected / limit. */
export const OsvEvent = z.looseObject({
  introduced: z.string().optional(),
  fixed: z.string().optional(),
  last_affected: z.string().optional(),
  limit: z.string().optional(),
});
export type OsvEvent = z.infer<typeof OsvEvent>;

export const OsvRange = z.looseObject({
  type: z.string(), // ECOSYSTEM | SEMVER | GIT (and future types, which we skip)
  repo: optionalString,
  events: list(OsvEvent),
  database_specific: z.unknown().optional(),
});
export type OsvRange = z.infer<typeof OsvRange>;

export const OsvSeverity = z.looseObject({
  type: z.string(), // CVSS_V2 | CVSS_V3 | CVSS_V4 | Ubuntu
  score: z.string(),
});
export type OsvSeverity = z.infer<typeof OsvSeverity>;

export const OsvAffected = z.looseObject({
  package: z
    .looseObject({
      ecosystem: z.string(),
      name: z.string(),
      purl: optionalString,
    })
    .optional(),
  severity: optionalList(OsvSeverity),
  ranges: list(OsvRange),
  versions: list(z.string()),
  ecosystem_specific: optionalRecord(),
  database_specific: optionalRecord(),
});
export type OsvAffected = z.infer<typeof OsvAffected>;

export const OsvRecord = z.looseObject({
  schema_version: z.string().optional(),
  id: z.string().min(1),
  modified: z.string(),
  published: optionalString,
  withdrawn: optionalString,
  aliases: list(z.string()),
  related: optionalList(z.string()),
  upstream: optionalList(z.string()),
  summary: optionalString,
  details: optionalString,
  severity: optionalList(OsvSeverity),
  affected: list(OsvAffected),
  references: optionalList(z.looseObject({ type: z.string(), url: z.string() })),
  database_specific: optionalRecord(),
});
export type OsvRecord = z.infer<typeof OsvRecord>;

/** Parses one OSV record, or returns the reason it is not one. */
export function parseOsvRecord(json: unknown): { ok: true; record: OsvRecord } | { ok: false; error: string } {
  const r = OsvRecord.safeParse(json);
  if (r.success) {
    const bad = r.data.affected.findIndex((a) => a.package && !isOsvEcosystem(a.package.ecosystem));
    if (bad < 0) return { ok: true, record: r.data };
    const eco = r.data.affected[bad]!.package!.ecosystem;
    return { ok: false, error: `affected.${bad}.package.ecosystem: ${eco === '' ? 'empty' : `unknown ecosystem ${JSON.stringify(eco)}`}` };
  }
  const issue = r.error.issues[0];
  return { ok: false, error: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not an OSV record' };
}
