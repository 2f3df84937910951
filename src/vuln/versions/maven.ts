/**
 * Maven version ordering after the rules of Maven's ComparableVersion: versions split into
 * numbers and qualifiers at `.`, `-` and digit/letter transitions (`-` and transitions open a
 * nested list); trailing zeros and release qualifiers are dropped; qualifiers order
 * alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < unknown
 * (unknown ones alphabetically); `a1`/`b1`/`m1` mean alpha/beta/milestone; a qualifier after
 * other items opens a list (`.X` reads as `-X`); a list is compared whole against nothing
 * (MNG-6964). One deliberate difference from Maven 3.8's jar, after the POM reference: a hyphen
 * segment that normalises to nothing is dropped, so `1-ga-1` = `1-1`. Hand-written because no
 * maintained npm package implements these rules. Differential-tested against the jar's answers
 * (test/fixtures/versions/).
 */
import type { VersionScheme } from './types.ts';

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

type Item = { kind: 'int'; value: bigint } | { kind: 'str'; value: string } | { kind: 'list'; items: Item[] };

function qualifierKey(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i >= 0 ? String(i) : `${QUALIFIERS.length}-${q}`;
}

function strItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) v = ({ a: 'alpha', b: 'beta', m: 'milestone' } as Record<string, string>)[v] ?? v;
  return { kind: 'str', value: ALIASES[v] ?? v };
}

function parseItem(isDigit: boolean, s: string): Item {
  return isDigit ? { kind: 'int', value: BigInt(s) } : strItem(s, false);
}

function isNull(item: Item): boolean {
  if (item.kind === 'int') return item.value === 0n;
  if (item.kind === 'str') return qualifierKey(item.value) === RELEASE_INDEX;
  return item.items.length === 0;
}

// Trailing "null" items (0, "", empty lists) carry no meaning: 1.0 = 1 = 1-ga. A hyphen
// segment left with nothing but the next one is that one: 1-ga-1 = 1-1 (the POM reference's
// "trailing null values at each hyphen are trimmed"; Maven 3.8's jar still says 1-ga-1 < 1-1).
function normalize(list: Item[]): void {
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    if (item.kind === 'list' && item.items.length === 1 && item.items[0]!.kind === 'list') list[i] = item.items[0]!;
  }
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i]!;
    if (isNull(last)) list.splice(i, 1);
    else if (last.kind !== 'list') break;
  }
}

function parse(version: string): Item[] {
  const v = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  const push = (): void => {
    const sub: Item[] = [];
    list.push({ kind: 'list', items: sub });
    list = sub;
    stack.push(sub);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '.') {
      list.push(i === start ? { kind: 'int', value: 0n } : parseItem(isDigit, v.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      list.push(i === start ? { kind: 'int', value: 0n } : parseItem(isDigit, v.slice(start, i)));
      start = i + 1;
      push();
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        // A qualifier after something else opens a list: `.X` reads as `-X` (1.0.0.X1 < 1.0.0-X2).
        if (list.length) push();
        list.push(strItem(v.slice(start, i), true));
        start = i;
        push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, v.slice(start, i)));
        start = i;
        push();
      }
      isDigit = false;
    }
  }
  if (v.length > start) {
    if (!isDigit && list.length) push();
    list.push(parseItem(isDigit, v.slice(start)));
  }
  while (stack.length) normalize(stack.pop()!);
  return root;
}

function cmp(a: Item | undefined, b: Item | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -cmp(b, undefined);
  if (a.kind === 'int') {
    if (b === undefined) return a.value === 0n ? 0 : 1;
    if (b.kind === 'int') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    return 1;
  }
  if (a.kind === 'str') {
    const ka = qualifierKey(a.value);
    if (b === undefined) return ka < RELEASE_INDEX ? -1 : ka > RELEASE_INDEX ? 1 : 0;
    if (b.kind === 'int' || b.kind === 'list') return -1;
    const kb = qualifierKey(b.value);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  }
  // A list against nothing: its first item that differs from nothing decides (MNG-6964).
  if (b === undefined) {
    for (const item of a.items) {
      const r = cmp(item, undefined);
      if (r !== 0) return r;
    }
    return 0;
  }
  if (b.kind === 'int') return -1;
  if (b.kind === 'str') return 1;
  return cmpLists(a.items, b.items);
}

function cmpLists(a: Item[], b: Item[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const r = cmp(a[i], b[i]);
    if (r !== 0) return r;
  }
  return 0;
}

/** Compares two Maven versions: negative, 0 or positive. */
export function compareMavenVersions(a: string, b: string): number {
  return cmpLists(parse(a), parse(b));
}

/** Maven ordering; any non-empty string without spaces is a version to Maven. */
export const mavenScheme: VersionScheme = {
  name: 'maven',
  compare: compareMavenVersions,
  valid: (v) => v.length > 0 && !/\s/.test(v),
};
