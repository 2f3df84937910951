/**
 * Severity of a vulnerability, always with where it came from: the advisory's own rating first
 * (GitHub's `database_specific.severity`, Ubuntu's priority, Debian's urgency), else a CVSS
 * base score computed from the record's v3 or v4 vector. No rating is a guess: "unknown".
 */
import { cvss3BaseScore, cvss4BaseScore } from './cvss.ts';
import type { OsvAffected, OsvRecord, OsvSeverity } from './osv.ts';

export const SEVERITY_LEVELS = ['unknown', 'none', 'low', 'medium', 'high', 'critical'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];
export type SeveritySource = 'advisory' | 'cvss_v3' | 'cvss_v4' | 'debian-urgency' | 'none';

export interface Severity {
  level: SeverityLevel;
  /** CVSS base score, when a vector was available. */
  score?: number;
  /** The CVSS vector the score came from. */
  vector?: string;
  source: SeveritySource;
}

/** CVSS band of a base score: none 0, low 0.1-3.9, medium 4-6.9, high 7-8.9, critical 9-10. */
export function bandOf(score: number): SeverityLevel {
  if (score <= 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/** Rank for sorting and thresholds: unknown < none < low < … < critical. */
export function severityRank(level: SeverityLevel): number {
  return SEVERITY_LEVELS.indexOf(level);
}

/** Parses a user-given level name (`HIGH`, `moderate`, …); undefined when not one. */
export function parseSeverityLevel(s: string): SeverityLevel | undefined {
  const v = s.trim().toLowerCase();
  if (v === 'moderate' || v === 'important') return v === 'moderate' ? 'medium' : 'high';
  return (SEVERITY_LEVELS as readonly string[]).includes(v) ? (v as SeverityLevel) : undefined;
}

// Advisory wordings: GitHub (LOW/MODERATE/HIGH/CRITICAL), Ubuntu priorities, Red Hat impacts.
const ADVISORY_WORDS: Record<string, SeverityLevel> = {
  negligible: 'low',
  low: 'low',
  moderate: 'medium',
  medium: 'medium',
  important: 'high',
  high: 'high',
  critical: 'critical',
};

// Debian security tracker urgencies; "not yet assigned" and "end-of-life" say nothing.
const DEBIAN_URGENCY: Record<string, SeverityLevel> = {
  unimportant: 'low',
  low: 'low',
  'low*': 'low',
  'low**': 'low',
  medium: 'medium',
  'medium*': 'medium',
  'medium**': 'medium',
  high: 'high',
  'high*': 'high',
  'high**': 'high',
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim().toLowerCase() : undefined;
}

function cvssFrom(list: OsvSeverity[] | undefined): Severity | undefined {
  if (!list) return undefined;
  // Prefer v3 (the score most advisories and peers show), then v4.
  for (const s of list) {
    if (s.type !== 'CVSS_V3') continue;
    const score = cvss3BaseScore(s.score);
    if (score !== null) return { level: bandOf(score), score, vector: s.score, source: 'cvss_v3' };
  }
  for (const s of list) {
    if (s.type !== 'CVSS_V4') continue;
    const score = cvss4BaseScore(s.score);
    if (score !== null) return { level: bandOf(score), score, vector: s.score, source: 'cvss_v4' };
  }
  return undefined;
}

/** Severity of `record` as it applies to one `affected` entry. */
export function severityOf(record: OsvRecord, affected?: OsvAffected): Severity {
  const cvss = cvssFrom(affected?.severity) ?? cvssFrom(record.severity);
  const withScore = (level: SeverityLevel, source: SeveritySource): Severity =>
    cvss ? { level, score: cvss.score, vector: cvss.vector, source } : { level, source };

  const own =
    str(record.database_specific?.severity) ??
    str(affected?.ecosystem_specific?.severity) ??
    str(affected?.database_specific?.severity) ??
    str(record.severity?.find((s) => s.type === 'Ubuntu')?.score);
  if (own && ADVISORY_WORDS[own]) return withScore(ADVISORY_WORDS[own], 'advisory');

  const urgency = str(affected?.ecosystem_specific?.urgency) ?? str(record.database_specific?.urgency);
  if (urgency && DEBIAN_URGENCY[urgency]) return withScore(DEBIAN_URGENCY[urgency], 'debian-urgency');

  if (cvss) return cvss;
  return { level: 'unknown', source: 'none' };
}
