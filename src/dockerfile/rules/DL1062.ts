/** DL1062: `apt-get update` in a RUN of its own — a later RUN install may use a stale cached index. */
import { allRuns, type RawFinding, type Rule } from './rule.ts';
import { aptArgs } from './DL1060.ts';

export const rule: Rule = {
  id: 'DL1062',
  name: 'apt-update-alone',
  severity: 'warning',
  description: 'apt-get update without an install in the same RUN.',
  fix: 'Run `apt-get update && apt-get install -y --no-install-recommends …` in one RUN.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      const apt = r.cmds.map(aptArgs).filter((a): a is string[] => a !== null);
      if (apt.some((a) => a.includes('update')) && !apt.some((a) => a.includes('install') || a.includes('upgrade') || a.includes('dist-upgrade'))) {
        out.push({ line: r.ins.line, message: 'apt-get update alone: the install in a later RUN may use a stale cached index' });
      }
    }
    return out;
  },
};
