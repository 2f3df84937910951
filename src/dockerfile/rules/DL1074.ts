/** DL1074: one stage installs or runs both curl and wget — two HTTP clients where one does. */
import type { RawFinding, Rule } from './rule.ts';
import { runs } from './rule.ts';
import { installs, packagesOf, pmCommand } from './pm.ts';

export const rule: Rule = {
  id: 'DL1074',
  name: 'curl-and-wget',
  severity: 'info',
  description: 'A stage uses or installs both curl and wget.',
  fix: 'Pick one of curl and wget for every download of the stage.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const stage of ctx.model.stages) {
      const first: Record<string, number> = {};
      for (const r of runs(stage)) {
        for (const c of r.cmds) {
          const pm = pmCommand(c);
          const tools = pm && installs(pm) ? packagesOf(pm) : [c.argv[0] ?? ''];
          for (const t of tools) if ((t === 'curl' || t === 'wget') && first[t] === undefined) first[t] = r.ins.line;
        }
      }
      const { curl, wget } = first;
      if (curl !== undefined && wget !== undefined) out.push({ line: Math.max(curl, wget), message: `the stage uses both curl (line ${curl}) and wget (line ${wget})` });
    }
    return out;
  },
};
