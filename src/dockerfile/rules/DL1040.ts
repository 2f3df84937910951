/** DL1040–DL1042: ADD where COPY fits (local files), ADD of a URL, ADD of a local archive. */
import type { RawFinding, Rule, LintContext } from './rule.ts';
import type { Instruction } from '../model.ts';

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst|gz|bz2|xz|zst)$/i;
const URL = /^(https?|ftp):\/\//i;
const GIT = /^(git@|git:\/\/|https?:\/\/.*\.git(#.*)?$)/i;

/** The sources of an ADD/COPY (all arguments but the last; exec form handled). */
export function sources(i: Instruction): string[] {
  const args = i.exec ?? (i.args.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
  if (i.heredocs.length > 0) return [];
  return args.slice(0, -1);
}

/** ADD instructions with each source classified. */
export function adds(ctx: LintContext): { i: Instruction; src: string; kind: 'url' | 'git' | 'archive' | 'local' }[] {
  const out: { i: Instruction; src: string; kind: 'url' | 'git' | 'archive' | 'local' }[] = [];
  for (const i of ctx.model.instructions) {
    if (i.keyword !== 'ADD') continue;
    for (const src of sources(i)) {
      const kind = GIT.test(src) ? 'git' : URL.test(src) ? 'url' : ARCHIVE.test(src) ? 'archive' : 'local';
      out.push({ i, src, kind });
    }
  }
  return out;
}

export const rule: Rule = {
  id: 'DL1040',
  name: 'add-where-copy-fits',
  severity: 'warning',
  description: 'ADD of local files that are not archives: COPY does the same without ADD\'s extra behaviour.',
  fix: 'Replace ADD with COPY.',
  check(ctx) {
    const seen = new Set<number>();
    const out: RawFinding[] = [];
    for (const a of adds(ctx)) {
      if (a.kind !== 'local' || seen.has(a.i.line)) continue;
      seen.add(a.i.line);
      out.push({ line: a.i.line, message: `ADD ${a.src}: a plain file copy, use COPY` });
    }
    return out;
  },
};
