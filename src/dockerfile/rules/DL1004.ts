/** DL1004: the final stage sets no USER and relies on its base's default non-root user. */
import { lastIn, shortImage, type Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1004',
  name: 'final-user-implicit',
  severity: 'info',
  description: 'The final stage sets no USER; it is non-root only because of the base image tag.',
  fix: 'State it: `USER 65532:65532`, so a base tag change cannot turn the image back to root.',
  check(ctx) {
    const f = ctx.final;
    if (!f || lastIn(ctx.chain(f), 'USER')) return [];
    const u = ctx.base(f).defaultUser;
    if (typeof u !== 'number' || u === 0) return [];
    return [{ line: f.from.line, message: `no USER: the image runs as ${u} only because ${shortImage(f)} defaults to it` }];
  },
};
