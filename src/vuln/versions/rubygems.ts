/**
 * RubyGems ordering (Gem::Version): segments of digits or letters; a letter segment marks a
 * pre-release and sorts before any number; trailing zero segments are ignored.
 */
import type { VersionScheme } from './types.ts';

// Numbers are BigInts: Ruby's are arbitrary-precision, so 30-digit segments compare exactly.
function segments(v: string): (bigint | string)[] {
  const segs = (v.trim().match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^\d/.test(s) ? BigInt(s) : s));
  while (segs.length && segs[segs.length - 1] === 0n) segs.pop();
  return segs;
}

/** Compares two gem versions: negative, 0 or positive. */
export function compareGemVersions(a: string, b: string): number {
  const x = segments(a);
  const y = segments(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? 0n;
    const q = y[i] ?? 0n;
    if (p === q) continue;
    if (typeof p === 'string' && typeof q === 'bigint') return -1;
    if (typeof p === 'bigint' && typeof q === 'string') return 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/** RubyGems ordering. */
export const rubygemsScheme: VersionScheme = {
  name: 'rubygems',
  compare: compareGemVersions,
  valid: (v) => /^\s*[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\s*$/.test(v),
};
