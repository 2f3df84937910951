/** DL1070: `apk add` without --no-cache leaves the index in the layer (unless the cache is removed after the last add). */
import type { ShellCommand } from '../shell.ts';
import { allRuns, type RawFinding, type Rule } from './rule.ts';

const CACHE = /\/var\/cache\/apk|\/etc\/apk\/cache/;

function removesCache(c: ShellCommand): boolean {
  return c.argv[0] === 'rm' && c.argv.some((a) => CACHE.test(a));
}

export const rule: Rule = {
  id: 'DL1070',
  name: 'apk-no-cache',
  severity: 'warning',
  description: 'apk add without --no-cache.',
  fix: 'Use `apk add --no-cache …`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      if (r.ins.mounts.some((m) => m.type === 'cache' && CACHE.test(m.options.target ?? ''))) continue;
      const bad = r.cmds.some((c, i) => c.argv[0] === 'apk' && c.argv.includes('add') && !c.argv.includes('--no-cache') && !r.cmds.slice(i + 1).some(removesCache));
      if (bad) out.push({ line: r.ins.line, message: 'apk add without --no-cache' });
    }
    return out;
  },
};
