/**
 * Go module version ordering: semantic versions with a `v` prefix, pseudo-versions
 * (`v0.0.0-20210226172049-e18ecbb05110`, which are SemVer pre-releases and so order by time)
 * and `+incompatible` (build metadata, ignored). Go toolchain versions (`go1.21.5`, `go1.22rc1`)
 * are normalised for the `stdlib` and `toolchain` packages. Hand-written after the rules of
 * golang.org/x/mod/semver rather than over the `semver` package, because that one refuses
 * numbers past 2^53 and Go accepts any length (`v1.123456789012345678901234567890.0`): numbers
 * compare as digit strings, shorter first.
 */
import type { VersionScheme } from './types.ts';

interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  /** Pre-release identifiers; empty for a release. */
  pre: string[];
}

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
// x/mod/semver: vMAJOR[.MINOR[.PATCH[-PRE][+BUILD]]]; the short forms take no suffix.
const SEMVER = new RegExp(`^${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+${IDENT}(?:\\.${IDENT})*)?)?)?$`);
const TOOLCHAIN = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?$/;

function parseGo(v: string): GoVersion | null {
  let s = v.trim();
  // A `v` version follows x/mod/semver exactly; toolchain forms are for `go`-prefixed or bare ones.
  const module = s.startsWith('v');
  if (module) s = s.slice(1);
  else if (s.startsWith('go')) s = s.slice(2);
  const tool = module ? null : TOOLCHAIN.exec(s);
  if (tool) {
    const [, major, minor = '0', patch = '0', pre, n] = tool;
    const strip = (x: string): string => x.replace(/^0+(?=\d)/, '');
    return { major: strip(major!), minor: strip(minor), patch: strip(patch), pre: pre ? [pre, strip(n!)] : [] };
  }
  const m = SEMVER.exec(s);
  if (!m) return null;
  const pre = m[4] ? m[4].split('.') : [];
  // Numeric pre-release identifiers with leading zeros are invalid in SemVer.
  if (pre.some((p) => /^0\d+$/.test(p))) return null;
  return { major: m[1]!, minor: m[2] ?? '0', patch: m[3] ?? '0', pre };
}

/** `go1.21rc2` / `v1.21` / `1.21.0` → SemVer `1.21.0-rc.2` / `1.21.0`; null when not a Go version. */
export function normalizeGoVersion(v: string): string | null {
  const p = parseGo(v);
  return p && `${p.major}.${p.minor}.${p.patch}${p.pre.length ? `-${p.pre.join('.')}` : ''}`;
}

/** Compares decimal digit strings of any length (no leading zeros). */
function cmpNum(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

function cmpPre(a: string[], b: string[]): number {
  if (!a.length || !b.length) return a.length === b.length ? 0 : a.length ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const nx = isNum(x);
    const ny = isNum(y);
    if (nx && ny) return cmpNum(x, y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Compares two Go versions; unparsable ones sort first. */
export function compareGoVersions(a: string, b: string): number {
  const x = parseGo(a);
  const y = parseGo(b);
  if (x && y) return cmpNum(x.major, y.major) || cmpNum(x.minor, y.minor) || cmpNum(x.patch, y.patch) || cmpPre(x.pre, y.pre);
  if (x) return 1;
  if (y) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go module and toolchain ordering. */
export const goScheme: VersionScheme = {
  name: 'go',
  compare: compareGoVersions,
  valid: (v) => parseGo(v) !== null,
};
