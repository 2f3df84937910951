/** DL1011: a FROM image uses the `latest` tag without a digest. */
import type { RawFinding, Rule } from './rule.ts';
import { externalStages } from './DL1010.ts';

export const rule: Rule = {
  id: 'DL1011',
  name: 'base-latest-tag',
  severity: 'warning',
  description: 'A FROM image uses the `latest` tag.',
  fix: 'Use a version tag and pin its digest: `FROM image:1.2@sha256:…`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of externalStages(ctx)) {
      if (s.ref.tag?.toLowerCase() === 'latest' && !s.ref.digest) out.push({ line: s.from.line, message: `${s.resolvedImage} uses the moving \`latest\` tag` });
    }
    return out;
  },
};
