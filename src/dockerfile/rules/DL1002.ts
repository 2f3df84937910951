/** DL1002: the final USER is a name, which Kubernetes `runAsNonRoot` cannot verify. */
import { lastIn, type Rule } from './rule.ts';
import { isRootUser } from './DL1001.ts';

export const rule: Rule = {
  id: 'DL1002',
  name: 'final-user-not-numeric',
  severity: 'warning',
  description: 'The final USER is a name rather than a numeric uid.',
  fix: 'Use the numeric uid (and gid), e.g. `USER 65532:65532`, so runAsNonRoot can check it.',
  check(ctx) {
    if (!ctx.final) return [];
    const user = lastIn(ctx.chain(ctx.final), 'USER');
    if (!user) return [];
    const v = user.args.split(/\s+/)[0] ?? '';
    if (isRootUser(v) || /\$/.test(v)) return [];
    const uid = v.split(':')[0] ?? '';
    if (/^\d+$/.test(uid)) return [];
    return [{ line: user.line, message: `USER ${v} is not numeric: Kubernetes runAsNonRoot cannot verify a user name` }];
  },
};
