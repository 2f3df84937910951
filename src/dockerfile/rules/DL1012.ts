/** DL1012: a tagged FROM image is not pinned by digest, so rebuilds may pull different bytes. */
import type { RawFinding, Rule } from './rule.ts';
import { externalStages } from './DL1010.ts';

export const rule: Rule = {
  id: 'DL1012',
  name: 'base-no-digest',
  severity: 'info',
  description: 'A FROM image is pinned by tag only, not by digest.',
  fix: 'Append the digest: `FROM image:1.2@sha256:…` (`distill convert --pin LOCK` can do it).',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of externalStages(ctx)) {
      if (s.ref.tag && s.ref.tag.toLowerCase() !== 'latest' && !s.ref.digest) out.push({ line: s.from.line, message: `${s.resolvedImage} is not pinned by digest` });
    }
    return out;
  },
};
