/**
 * CVSS base scores from vector strings. v3.0/v3.1: hand-written from the FIRST CVSS v3.1
 * specification's base-score formulas (small, stable, and easy to pin with published scores).
 * v4.0: its score comes from a large lookup table of macro-vector equivalence classes, so we use
 * the maintained `ae-cvss-calculator` package rather than re-typing that table. That package takes
 * longer to load than a whole scan of most images spends scoring, and few records carry only a v4
 * vector, so it is loaded on the first v4 vector (synchronously: scoring is synchronous).
 */
import { createRequire } from 'node:module';
import type cvssLibType from 'ae-cvss-calculator';

let cvssLib: typeof cvssLibType | undefined;

const W = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** Metric → value of a `CVSS:3.1/AV:N/...` vector, or null when it is not a well-formed v3 vector. */
export function parseCvss3Vector(vector: string): { version: '3.0' | '3.1'; metrics: Record<string, string> } | null {
  const parts = vector.trim().split('/');
  const head = /^CVSS:(3\.[01])$/.exec(parts[0] ?? '');
  if (!head) return null;
  const metrics: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const m = /^([A-Za-z]+):([A-Za-z])$/.exec(p);
    if (!m || m[1]! in metrics) return null;
    metrics[m[1]!] = m[2]!;
  }
  return { version: head[1] as '3.0' | '3.1', metrics };
}

// CVSS 3.1 Roundup: smallest one-decimal number >= x, robust to floating-point noise.
function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

function roundup30(x: number): number {
  return Math.ceil(x * 10) / 10;
}

/** CVSS v3.0/v3.1 base score of a vector, or null when the vector is malformed. */
export function cvss3BaseScore(vector: string): number | null {
  const p = parseCvss3Vector(vector);
  if (!p) return null;
  const m = p.metrics;
  const av = W.AV[m.AV as keyof typeof W.AV];
  const ac = W.AC[m.AC as keyof typeof W.AC];
  const ui = W.UI[m.UI as keyof typeof W.UI];
  const c = W.CIA[m.C as keyof typeof W.CIA];
  const i = W.CIA[m.I as keyof typeof W.CIA];
  const a = W.CIA[m.A as keyof typeof W.CIA];
  const scope = m.S;
  if (av === undefined || ac === undefined || ui === undefined || c === undefined || i === undefined || a === undefined) return null;
  if (scope !== 'U' && scope !== 'C') return null;
  const changed = scope === 'C';
  const prTable: Record<string, number> = changed ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 };
  const pr = prTable[m.PR ?? ''];
  if (pr === undefined) return null;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  const roundup = p.version === '3.1' ? roundup31 : roundup30;
  return changed ? roundup(Math.min(1.08 * (impact + exploitability), 10)) : roundup(Math.min(impact + exploitability, 10));
}

/** CVSS v4.0 base score of a vector (via ae-cvss-calculator), or null when it cannot be scored. */
export function cvss4BaseScore(vector: string): number | null {
  if (!/^CVSS:4\.0\//.test(vector.trim())) return null;
  try {
    cvssLib ??= createRequire(import.meta.url)('ae-cvss-calculator') as typeof cvssLibType;
    const v = new cvssLib.Cvss4P0(vector.trim());
    const s = v.calculateScores() as { base?: number };
    return typeof s.base === 'number' && Number.isFinite(s.base) ? s.base : null;
  } catch {
    return null;
  }
}
