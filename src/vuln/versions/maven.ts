/**
 * Maven version ordering after the rules of Maven's ComparableVersion: versions split into
 * numbers and qualifiers at `.`, `-` and digit/letter transitions (`-` and transitions open a
 * nested list); trailing zeros and release qualifiers are dropped; qualifiers order
 * alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < unknown
 * (unknown ones alphabetically); `a1`/`b1`/`m1` mean alpha/beta/milestone. Hand-written because
 * no maintained npm package implements these rules.
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

// Trailing "null" items (0, "", empty lists) carry no meaning: 1.0 = 1 = 1-ga.
function normalize(list: Item[]): void {
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
  if (v.length > start) list.push(parseItem(isDigit, v.slice(start)));
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
  if (b === undefined) return a.items.length === 0 ? 0 : cmp(a.items[0], undefined);
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
