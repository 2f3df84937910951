/** DL1096: COPY/ADD of several sources to a destination that does not end in `/` — the build fails. */
import type { RawFinding, Rule } from './rule.ts';
import { sources } from './DL1040.ts';

export const rule: Rule = {
  id: 'DL1096',
  name: 'copy-multi-source-dest',
  severity: 'error',
  description: 'COPY or ADD of several sources to a destination that does not end in `/`.',
  fix: 'End the destination with `/` (`COPY a.json b.json /app/`) so it is read as a directory.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const i of ctx.model.instructions) {
      if (i.keyword !== 'COPY' && i.keyword !== 'ADD') continue;
      const src = sources(i);
      if (src.length < 2) continue;
      const words = i.exec ?? (i.args.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
      const dest = words[words.length - 1] ?? '';
      // `.` and `..` name a directory however they are written; BuildKit reads them so.
      if (dest.endsWith('/') || /(^|\/)\.\.?$/.test(dest) || /\$/.test(dest)) continue;
      out.push({ line: i.line, message: `${i.keyword} of ${src.length} sources to ${dest}: a destination for several sources must end in /` });
    }
    return out;
  },
};
