/** DL1051: sudo in RUN — builds already run as root, and sudo in the image widens the attack surface. */
import { allRuns, type RawFinding, type Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1051',
  name: 'sudo',
  severity: 'warning',
  description: 'RUN uses sudo.',
  fix: 'Switch with `USER root` for the step and back to the non-root USER afterwards; do not install sudo.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      if (r.cmds.some((c) => c.wrappers.includes('sudo'))) out.push({ line: r.ins.line, message: 'sudo in RUN' });
    }
    return out;
  },
};
