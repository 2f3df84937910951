/**
 * RPM version ordering: `rpmvercmp` on version and release, after the epoch (`E:V-R`).
 * Hand-written (no npm library tracks rpm's rules, including `~` pre-release and `^` post-release
 * separators). Differential-tested against Debian's `rpm` package.
 */
import type { VersionScheme } from './types.ts';

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

/** rpm's segment-wise comparison of one version or release string. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): string => (k < s.length ? s[k]! : '');
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]!) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]!) && b[j] !== '~' && b[j] !== '^') j++;
    const ca = at(a, i);
    const cb = at(b, j);
    // `~` sorts before everything, even the end of the string.
    if (ca === '~' || cb === '~') {
      if (ca !== '~') return 1;
      if (cb !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // `^` sorts after the end of the string but before any other segment.
    if (ca === '^' || cb === '^') {
      if (ca === '') return -1;
      if (cb === '') return 1;
      if (ca !== '^') return 1;
      if (cb !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === '' || cb === '') break;
    const numeric = isDigit(ca);
    const test = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && test(a[ei]!)) ei++;
    while (ej < b.length && test(b[ej]!)) ej++;
    // A numeric segment is newer than an alphabetic one.
    if (ej === j) return numeric ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** Epoch, version and release of an `[E:]V[-R]` string; `release` is undefined when there is no `-`. */
export function parseEvr(s: string): { epoch: string; version: string; release: string | undefined } {
  let rest = s;
  let epoch = '0';
  const colon = rest.indexOf(':');
  if (colon >= 0 && /^\d*$/.test(rest.slice(0, colon))) {
    epoch = rest.slice(0, colon) || '0';
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash < 0) return { epoch, version: rest, release: undefined };
  return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

/**
 * Compares `[E:]V[-R]` strings as `rpm.vercmp` does: epoch (as a number of any length), then
 * version, then release, where a version with a release, even an empty one (`1-`), is newer than
 * the same version without.
 */
export function compareRpmVersions(a: string, b: string): number {
  const x = parseEvr(a);
  const y = parseEvr(b);
  const e = rpmvercmp(x.epoch, y.epoch);
  if (e !== 0) return e;
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0) return v;
  if (x.release === undefined || y.release === undefined) return x.release === y.release ? 0 : x.release === undefined ? -1 : 1;
  return rpmvercmp(x.release, y.release);
}

/** Whether `v` looks like an rpm EVR. */
export function isValidRpmVersion(v: string): boolean {
  return /^(\d+:)?[A-Za-z0-9._+~^]+(-[A-Za-z0-9._+~^]+)?$/.test(v);
}

/** rpm ordering, used for Red Hat, Rocky Linux, AlmaLinux, SUSE and openSUSE. */
export const rpmScheme: VersionScheme = { name: 'rpm', compare: compareRpmVersions, valid: isValidRpmVersion };
