/** DL1041: ADD downloads a URL into the image, unverified unless --checksum is given. */
import type { RawFinding, Rule } from './rule.ts';
import { adds } from './DL1040.ts';

export const rule: Rule = {
  id: 'DL1041',
  name: 'add-url',
  severity: 'warning',
  description: 'ADD fetches a remote URL (or git repository) without a checksum.',
  fix: 'Use `ADD --checksum=sha256:…` or download and verify in a builder stage, then COPY the result.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const a of adds(ctx)) {
      if (a.kind !== 'url' && a.kind !== 'git') continue;
      if (a.i.flags.some((f) => f.name === 'checksum' || f.name === 'keep-git-dir') && a.kind === 'url') continue;
      out.push({ line: a.i.line, message: `ADD ${a.src}: remote content is fetched without verification` });
    }
    return out;
  },
};
