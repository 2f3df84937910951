/**
 * Go module version ordering: semantic versions with a `v` prefix, pseudo-versions
 * (`v0.0.0-20210226172049-e18ecbb05110`, which are SemVer pre-releases and so order by time)
 * and `+incompatible` (build metadata, ignored). Go toolchain versions (`go1.21.5`, `go1.22rc1`)
 * are normalised for the `stdlib` and `toolchain` packages.
 */
import semver from 'semver';
import type { VersionScheme } from './types.ts';

/** `go1.21rc2` / `v1.21` / `1.21.0` → SemVer `1.21.0-rc.2` / `1.21.0`; null when not a Go version. */
export function normalizeGoVersion(v: string): string | null {
  let s = v.trim();
  if (s.startsWith('go')) s = s.slice(2);
  else if (s.startsWith('v')) s = s.slice(1);
  const tool = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(s);
  if (tool) {
    const [, maj, min = '0', pat = '0', pre, n] = tool;
    return `${maj}.${min}.${pat}${pre ? `-${pre}.${n}` : ''}`;
  }
  return semver.valid(s) ? s : null;
}

/** Compares two Go versions; unparsable ones sort first. */
export function compareGoVersions(a: string, b: string): number {
  const x = normalizeGoVersion(a);
  const y = normalizeGoVersion(b);
  if (x && y) return semver.compare(x, y);
  if (x) return 1;
  if (y) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go module and toolchain ordering. */
export const goScheme: VersionScheme = {
  name: 'go',
  compare: compareGoVersions,
  valid: (v) => normalizeGoVersion(v) !== null,
};
