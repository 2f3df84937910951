/** DL1060: apt-get/apt install without --no-install-recommends pulls in packages nobody asked for. */
import type { ShellCommand } from '../shell.ts';
import { allRuns, type RawFinding, type Rule } from './rule.ts';

/** The arguments of an apt-get/apt command (after sudo, env and assignments), or null. */
export function aptArgs(cmd: ShellCommand): string[] | null {
  const [program, ...args] = cmd.argv;
  return program === 'apt-get' || program === 'apt' ? args : null;
}

export const rule: Rule = {
  id: 'DL1060',
  name: 'apt-install-recommends',
  severity: 'warning',
  description: 'apt-get install without --no-install-recommends.',
  fix: 'Use `apt-get install -y --no-install-recommends …`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      for (const c of r.cmds) {
        const a = aptArgs(c);
        if (!a || !a.includes('install')) continue;
        if (a.some((x) => x === '--no-install-recommends' || /APT::Install-Recommends=(false|0)/i.test(x))) continue;
        out.push({ line: r.ins.line, message: 'apt-get install without --no-install-recommends' });
        break;
      }
    }
    return out;
  },
};
