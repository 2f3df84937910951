/** DL1090: an instruction Docker does not know — the build stops at it (often a RUN line that lost its `\`). */
import type { RawFinding, Rule } from './rule.ts';

const KNOWN = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);

export const rule: Rule = {
  id: 'DL1090',
  name: 'unknown-instruction',
  severity: 'error',
  description: 'An instruction that is not a Dockerfile instruction; the build fails there.',
  fix: 'Fix the keyword, or end the previous RUN line with `\\` when this line continues it.',
  check(ctx) {
    const out: RawFinding[] = [];
    const all = ctx.model.instructions;
    all.forEach((i, n) => {
      if (KNOWN.has(i.keyword)) return;
      const word = i.raw.trimStart().split(/\s/)[0] ?? i.keyword;
      const prev = all[n - 1];
      // A lower-case command word right after a RUN is the usual missing line continuation.
      const hint = prev?.keyword === 'RUN' && word === word.toLowerCase() ? ` (does line ${prev.endLine} lack a trailing \`\\\`?)` : '';
      out.push({ line: i.line, message: `unknown instruction ${word}${hint}` });
    });
    return out;
  },
};
