/**
 * The OSV schema (https://ossf.github.io/osv-schema/) as zod 4 types: the fields distill reads,
 * tolerant of every field it does not (unknown keys pass through untouched), so records from
 * newer schema versions still parse.
 */
import { z } from 'zod';

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
  repo: z.string().optional(),
  events: z.array(OsvEvent).default([]),
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
      purl: z.string().optional(),
    })
    .optional(),
  severity: z.array(OsvSeverity).optional(),
  ranges: z.array(OsvRange).default([]),
  versions: z.array(z.string()).default([]),
  ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});
export type OsvAffected = z.infer<typeof OsvAffected>;

export const OsvRecord = z.looseObject({
  schema_version: z.string().optional(),
  id: z.string().min(1),
  modified: z.string(),
  published: z.string().optional(),
  withdrawn: z.string().optional(),
  aliases: z.array(z.string()).default([]),
  related: z.array(z.string()).optional(),
  upstream: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(OsvSeverity).optional(),
  affected: z.array(OsvAffected).default([]),
  references: z.array(z.looseObject({ type: z.string(), url: z.string() })).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});
export type OsvRecord = z.infer<typeof OsvRecord>;

/** Parses one OSV record, or returns the reason it is not one. */
export function parseOsvRecord(json: unknown): { ok: true; record: OsvRecord } | { ok: false; error: string } {
  const r = OsvRecord.safeParse(json);
  if (r.success) return { ok: true, record: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not an OSV record' };
}
