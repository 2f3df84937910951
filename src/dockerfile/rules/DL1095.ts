/** DL1095: a relative WORKDIR before any absolute one — it resolves against the base image's WORKDIR, which the file does not show. */
import { substituteVars } from '../parse.ts';
import type { RawFinding, Rule } from './rule.ts';

/** True for `/x` and Windows `C:\x` paths. */
function absolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);
}

export const rule: Rule = {
  id: 'DL1095',
  name: 'relative-workdir',
  severity: 'warning',
  description: 'A relative WORKDIR with no absolute WORKDIR before it in the stage.',
  fix: 'Use an absolute path: `WORKDIR /app`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.model.stages) {
      // An absolute WORKDIR in a stage this one is built FROM counts: the file shows where it is.
      let anchored = ctx.chain(s).slice(0, -1).some((p) => p.instructions.some((i) => i.keyword === 'WORKDIR' && absolute(substituteVars(i.args.trim().replace(/^(["'])(.*)\1$/, '$2'), i.vars))));
      for (const i of s.instructions) {
        if (i.keyword !== 'WORKDIR') continue;
        const dir = substituteVars(i.args.trim().replace(/^(["'])(.*)\1$/, '$2'), i.vars);
        if (absolute(dir)) anchored = true;
        else if (!anchored && !/\$/.test(dir) && dir !== '') out.push({ line: i.line, message: `WORKDIR ${dir} is relative to the base image's WORKDIR, which this file does not set` });
      }
    }
    return out;
  },
};
