/** DL1093: several ENTRYPOINT, CMD or HEALTHCHECK instructions in one stage — only the last counts. */
import type { Instruction } from '../model.ts';
import type { RawFinding, Rule } from './rule.ts';

const ONCE = ['ENTRYPOINT', 'CMD', 'HEALTHCHECK'];

export const rule: Rule = {
  id: 'DL1093',
  name: 'repeated-instruction',
  severity: 'warning',
  description: 'A stage has more than one ENTRYPOINT, CMD or HEALTHCHECK; all but the last are ignored.',
  fix: 'Keep one ENTRYPOINT, CMD and HEALTHCHECK per stage: the one the container should run.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.model.stages) {
      for (const kw of ONCE) {
        const all: Instruction[] = s.instructions.filter((i) => i.keyword === kw);
        const last = all[all.length - 1];
        for (const i of all.slice(0, -1)) out.push({ line: i.line, message: `${kw} is overridden by the ${kw} on line ${last?.line}: this one never takes effect` });
      }
    }
    return out;
  },
};
