/**
 * Debian package version comparison, per Debian Policy §5.6.12 and dpkg's `verrevcmp`.
 * Hand-written because no maintained npm library implements dpkg's ordering exactly
 * (epoch, upstream, revision; `~` sorts before everything, even the end of the string;
 * letters sort before all other non-digits). Differential-tested against `dpkg --compare-versions`.
 */

/** The three parts of a Debian version string. */
export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Relational operators of Debian dependency fields (`Depends: foo (>= 1.2)`). */
export type DebianOp = '<<' | '<=' | '=' | '>=' | '>>';

/** Splits `[epoch:]upstream[-revision]`; tolerant (never throws), like dpkg's comparison. */
export function parseDebianVersion(v: string): DebianVersion {
  let s = v.trim();
  let epoch = 0;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    epoch = /^\d+$/.test(e) ? Number.parseInt(e, 10) : 0;
    s = s.slice(colon + 1);
  }
  const dash = s.lastIndexOf('-');
  if (dash >= 0) return { epoch, upstream: s.slice(0, dash), revision: s.slice(dash + 1) };
  return { epoch, upstream: s, revision: '' };
}

/** True when `v` is a syntactically valid Debian version (what dpkg would accept). */
export function isValidDebianVersion(v: string): boolean {
  if (v.length === 0 || /\s/.test(v)) return false;
  const colon = v.indexOf(':');
  if (colon >= 0 && !/^\d+$/.test(v.slice(0, colon))) return false;
  const { upstream, revision } = parseDebianVersion(v);
  if (!/^[0-9]/.test(upstream)) return false;
  const hasRevision = v.slice(colon + 1).includes('-');
  if (!/^[A-Za-z0-9.+~:-]*$/.test(upstream)) return false;
  if (colon < 0 && upstream.includes(':')) return false;
  if (hasRevision && !/^[A-Za-z0-9.+~]+$/.test(revision)) return false;
  return true;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isAlpha(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Weight of one character in a non-digit run: end of string and digits weigh 0, `~` less,
// letters their code, anything else after all letters.
function order(c: string): number {
  if (c === '' || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

// Compares one upstream or revision part, alternating non-digit and digit runs.
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): string => (k < s.length ? s[k]! : '');
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((at(a, i) !== '' && !isDigit(at(a, i))) || (at(b, j) !== '' && !isDigit(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === '0') i++;
    while (at(b, j) === '0') j++;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Compares two Debian versions: negative if a < b, 0 if equal, positive if a > b. */
export function compareDebianVersions(a: string, b: string): number {
  const va = parseDebianVersion(a);
  const vb = parseDebianVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  const u = verrevcmp(va.upstream, vb.upstream);
  if (u !== 0) return u;
  return verrevcmp(va.revision, vb.revision);
}

/** Whether `version` satisfies `op constraint`, as in a Debian dependency relation. */
export function satisfiesDebian(version: string, op: DebianOp, constraint: string): boolean {
  const c = compareDebianVersions(version, constraint);
  switch (op) {
    case '<<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '>>':
      return c > 0;
  }
}
