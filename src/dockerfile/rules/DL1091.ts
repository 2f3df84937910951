/** DL1091: two stages with the same name (`FROM … AS build` twice) — Docker refuses the file. */
import type { RawFinding, Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1091',
  name: 'duplicate-stage-name',
  severity: 'error',
  description: 'Two stages share one name; the build fails.',
  fix: 'Give every stage its own name (`FROM … AS deps`, `FROM … AS build`).',
  check(ctx) {
    const out: RawFinding[] = [];
    const seen = new Map<string, number>();
    for (const s of ctx.model.stages) {
      if (!s.alias) continue;
      const key = s.alias.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) out.push({ line: s.from.line, message: `stage name ${s.alias} is already used by the stage on line ${first}` });
      else seen.set(key, s.from.line);
    }
    return out;
  },
};
