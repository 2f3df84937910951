/** DL1013: the final stage is on a debug variant (busybox shell added) of a distroless image. */
import { shortImage, type Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1013',
  name: 'final-debug-base',
  severity: 'warning',
  description: 'The final stage uses a `:debug` base, which adds a shell.',
  fix: 'Use the non-debug tag (e.g. `:nonroot`) in production; debug with an ephemeral container instead.',
  check(ctx) {
    const f = ctx.final;
    if (!f) return [];
    const root = ctx.chain(f)[0] ?? f;
    if (!ctx.base(f).debug) return [];
    return [{ line: root.from.line, message: `${shortImage(root)} is a debug variant: the final image has a shell` }];
  },
};
