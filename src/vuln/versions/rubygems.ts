/**
 * RubyGems ordering (Gem::Version): segments of digits or letters; a letter segment marks a
 * pre-release and sorts before any number; trailing zero segments are ignored.
 */
import type { VersionScheme } from './types.ts';

function segments(v: string): (number | string)[] {
  const segs = (v.trim().match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^\d/.test(s) ? Number(s) : s));
  while (segs.length && segs[segs.length - 1] === 0) segs.pop();
  return segs;
}

/** Compares two gem versions: negative, 0 or positive. */
export function compareGemVersions(a: string, b: string): number {
  const x = segments(a);
  const y = segments(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? 0;
    const q = y[i] ?? 0;
    if (p === q) continue;
    if (typeof p === 'string' && typeof q === 'number') return -1;
    if (typeof p === 'number' && typeof q === 'string') return 1;
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
