/** SemVer ordering (npm, crates.io, and OSV `SEMVER` ranges) over the `semver` package, loosely. */
import semver from 'semver';
import type { VersionScheme } from './types.ts';

/** Parses loosely, accepting a leading `v`/`=` and, failing that, coercing `1.2` to `1.2.0`. */
export function parseSemver(v: string): semver.SemVer | null {
  const p = semver.parse(v.trim(), { loose: true });
  if (p) return p;
  return semver.coerce(v, { loose: true, includePrerelease: true });
}

/** Compares two SemVer versions; unparsable ones sort before parsable ones, then as strings. */
export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (x && y) return semver.compare(x, y);
  if (x) return 1;
  if (y) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SemVer ordering for npm, crates.io and generic SEMVER ranges. */
export const semverScheme: VersionScheme = {
  name: 'semver',
  compare: compareSemver,
  valid: (v) => semver.valid(v.trim(), { loose: true }) !== null,
};
