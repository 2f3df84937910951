/**
 * Alpine apk-tools version ordering: `digits{.digits}...{letter}{_suffix{N}}...{~hash}{-rN}`.
 * Hand-written (no npm library) after the rules current apk-tools implements:
 * - tokens must come in this order (an initial number, then dotted numbers, one lower-case
 *   letter, `_suffix[N]` repeated, `~commithash`, `-rN`), otherwise the version is invalid;
 *   two leniencies of apk-tools 2 (which Alpine shipped through 3.22) are kept because apk-tools 3
 *   would compare such versions equal: digits after the letter are a number (`1.9.5p1` <
 *   `1.9.5p2`) and `-r` alone is `-r0`;
 * - same-kind tokens compare numerically, except a dotted number with a leading zero, which
 *   compares as a string (so 1.01 < 1.1, as in Gentoo);
 * - suffixes order alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p;
 * - when one version runs out of tokens first, the longer one is newer unless its next token
 *   is a pre-release suffix; otherwise the kind that ranks earlier is newer (`1.0.1` > `1.0-r1`).
 */
import type { VersionScheme } from './types.ts';

const enum K {
  InitialDigit = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  CommitHash = 5,
  RevisionNo = 6,
  End = 7,
  Invalid = 8,
}

// Suffix ranks: pre-releases below NONE, post-releases above.
const SUFFIX_RANK: Record<string, number> = { alpha: 0, beta: 1, pre: 2, rc: 3, cvs: 5, svn: 6, git: 7, hg: 8, p: 9 };
const SUFFIX_NONE = 4;

interface Tok {
  kind: K;
  value: string;
  suffix: number;
  /** A number after a letter: always compared as a number, leading zeros or not. */
  numeric?: boolean;
}

/** Splits an apk version into tokens; the last one is End or Invalid. */
function tokenize(v: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const span = (re: RegExp): string => {
    const start = i;
    while (i < v.length && re.test(v[i]!)) i++;
    return v.slice(start, i);
  };
  const digits = span(/[0-9]/);
  if (!digits) return [{ kind: K.Invalid, value: '', suffix: 0 }];
  out.push({ kind: K.InitialDigit, value: digits, suffix: 0 });
  let prev = K.InitialDigit;
  for (;;) {
    if (i >= v.length) {
      out.push({ kind: K.End, value: '', suffix: 0 });
      return out;
    }
    const c = v[i]!;
    let tok: Tok | undefined;
    if (c >= 'a' && c <= 'z') {
      if (prev <= K.Digit) {
        i++;
        tok = { kind: K.Letter, value: c, suffix: 0 };
      }
    } else if (c === '.' || (c >= '0' && c <= '9')) {
      const dot = c === '.';
      if (dot && prev > K.Digit) tok = undefined;
      else {
        if (dot) i++;
        // apk-tools 2 (Alpine <= 3.22) reads digits after a letter (`6.6.1p1`) as a number;
        // apk-tools 3 calls such versions invalid and then compares them equal.
        const afterLetter = prev === K.Letter && !dot;
        const kind = prev <= K.Digit || afterLetter ? K.Digit : prev === K.Suffix && !dot ? K.SuffixNo : K.Invalid;
        const d = span(/[0-9]/);
        if (kind !== K.Invalid && d) tok = { kind, value: d, suffix: 0, ...(afterLetter ? { numeric: true } : {}) };
      }
    } else if (c === '_') {
      if (prev <= K.SuffixNo) {
        i++;
        const s = span(/[a-z]/);
        const rank = SUFFIX_RANK[s];
        if (rank !== undefined) tok = { kind: K.Suffix, value: s, suffix: rank };
      }
    } else if (c === '~') {
      if (prev < K.CommitHash) {
        i++;
        const h = span(/[0-9a-f]/);
        if (h) tok = { kind: K.CommitHash, value: h, suffix: 0 };
      }
    } else if (c === '-') {
      if (prev < K.RevisionNo && v[i + 1] === 'r') {
        i += 2;
        // `-r` without a number is revision 0, as apk-tools 2 reads it.
        tok = { kind: K.RevisionNo, value: span(/[0-9]/) || '0', suffix: 0 };
      }
    }
    if (!tok) {
      out.push({ kind: K.Invalid, value: '', suffix: 0 });
      return out;
    }
    out.push(tok);
    prev = tok.kind;
  }
}

function cmpNum(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpTok(a: Tok, b: Tok): number {
  switch (a.kind) {
    case K.Digit:
      if (!a.numeric && !b.numeric && (a.value.startsWith('0') || b.value.startsWith('0'))) return cmpStr(a.value, b.value);
      return cmpNum(a.value, b.value);
    case K.InitialDigit:
    case K.SuffixNo:
    case K.RevisionNo:
      return cmpNum(a.value, b.value);
    case K.Letter:
      return cmpStr(a.value, b.value);
    case K.Suffix:
      return a.suffix - b.suffix;
    default:
      return cmpStr(a.value, b.value);
  }
}

/** Compares two apk versions: negative, 0 or positive. */
export function compareApkVersions(a: string, b: string): number {
  const ta = tokenize(a);
  const tb = tokenize(b);
  let i = 0;
  for (; ta[i]!.kind === tb[i]!.kind && ta[i]!.kind < K.End; i++) {
    const r = cmpTok(ta[i]!, tb[i]!);
    if (r !== 0) return r < 0 ? -1 : 1;
  }
  const x = ta[i]!;
  const y = tb[i]!;
  if (x.kind === y.kind) return 0;
  if (x.kind === K.Suffix && x.suffix < SUFFIX_NONE) return -1;
  if (y.kind === K.Suffix && y.suffix < SUFFIX_NONE) return 1;
  if (x.kind > y.kind) return -1;
  if (y.kind > x.kind) return 1;
  return 0;
}

/** Whether `v` is a well-formed apk version. */
export function isValidApkVersion(v: string): boolean {
  const t = tokenize(v);
  return t[t.length - 1]!.kind === K.End;
}

/** apk ordering, used for the Alpine, Wolfi and Chainguard OSV ecosystems. */
export const apkScheme: VersionScheme = { name: 'apk', compare: compareApkVersions, valid: isValidApkVersion };
