/** DL1070: `apk add` without --no-cache leaves the index in the layer. */
import { allRuns, type RawFinding, type Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1070',
  name: 'apk-no-cache',
  severity: 'warning',
  description: 'apk add without --no-cache.',
  fix: 'Use `apk add --no-cache …`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      const cleaned = /rm\s+(-\S+\s+)*\S*\/var\/cache\/apk/.test(r.text) || r.ins.mounts.some((m) => m.type === 'cache' && /\/var\/cache\/apk|\/etc\/apk\/cache/.test(m.options.target ?? ''));
      for (const c of r.cmds) {
        if (c.argv[0] !== 'apk' || !c.argv.includes('add')) continue;
        if (c.argv.includes('--no-cache') || cleaned) continue;
        out.push({ line: r.ins.line, message: 'apk add without --no-cache' });
        break;
      }
    }
    return out;
  },
};
