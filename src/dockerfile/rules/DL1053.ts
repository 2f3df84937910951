/** DL1053: `cd` in RUN to set the directory for later commands — WORKDIR says it once and lasts. */
import { allRuns, type RawFinding, type Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1053',
  name: 'run-cd',
  severity: 'warning',
  description: 'RUN changes directory with `cd` instead of using WORKDIR.',
  fix: 'Set the directory with `WORKDIR /path` before the RUN; it holds for every later instruction.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      const cd = r.cmds.find((c) => c.argv[0] === 'cd' && c.argv[1] !== undefined && c.argv[1] !== '-');
      if (cd) out.push({ line: r.ins.line, message: `RUN ${cd.source.trim()}: the directory lasts only for this RUN; use WORKDIR ${cd.argv[1]}` });
    }
    return out;
  },
};
