/** DL1001: the final stage runs as root — no USER anywhere, `USER root`, `USER 0`, `0:0`, `root:root`. */
import { lastIn, type Rule, shortImage } from './rule.ts';

/** True when a USER value names uid 0 (by name or number), whatever the group. */
export function isRootUser(value: string): boolean {
  const user = (value.trim().split(':')[0] ?? '').trim();
  return user === 'root' || /^0+$/.test(user);
}

export const rule: Rule = {
  id: 'DL1001',
  name: 'final-user-root',
  severity: 'error',
  description: 'The final stage runs as root.',
  fix: 'Add `USER 65532:65532` (or another non-zero numeric uid:gid) after the last RUN of the final stage.',
  check(ctx) {
    const final = ctx.final;
    if (!final) return [];
    const user = lastIn(ctx.chain(final), 'USER');
    if (user) {
      const v = user.args.split(/\s+/)[0] ?? '';
      if (/\$/.test(v) && !isRootUser(v)) return [];
      if (isRootUser(v)) return [{ line: user.line, message: `USER ${v} runs the container as root (uid 0)` }];
      return [];
    }
    const base = ctx.base(final);
    if (typeof base.defaultUser === 'number' && base.defaultUser !== 0) return [];
    const why = base.defaultUser === 'root' ? `its base ${shortImage(final)} runs as root` : `the default user of ${shortImage(final)} is not known to be non-root`;
    return [{ line: final.from.line, message: `the final stage sets no USER and ${why}` }];
  },
};
