/** DL1097: MAINTAINER, deprecated since Docker 1.13 — a LABEL carries the same and tools read it. */
import type { RawFinding, Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1097',
  name: 'maintainer-deprecated',
  severity: 'warning',
  description: 'MAINTAINER is deprecated.',
  fix: 'Use `LABEL org.opencontainers.image.authors="name <email>"`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const i of ctx.model.instructions) {
      if (i.keyword === 'MAINTAINER') out.push({ line: i.line, message: 'MAINTAINER is deprecated: use LABEL org.opencontainers.image.authors' });
    }
    return out;
  },
};
