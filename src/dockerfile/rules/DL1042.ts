/** DL1042: ADD of a local archive, which Docker silently extracts. */
import type { RawFinding, Rule } from './rule.ts';
import { adds } from './DL1040.ts';

export const rule: Rule = {
  id: 'DL1042',
  name: 'add-archive',
  severity: 'info',
  description: 'ADD of a local archive is auto-extracted; the intent is easy to miss.',
  fix: 'Extract explicitly in a builder stage (`tar -xf`) and COPY the files, or keep ADD and say so in a comment.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const a of adds(ctx)) if (a.kind === 'archive') out.push({ line: a.i.line, message: `ADD ${a.src} extracts the archive implicitly` });
    return out;
  },
};
