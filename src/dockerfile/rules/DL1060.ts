/** DL1060: apt-get/apt install without --no-install-recommends pulls in packages nobody asked for. */
import { allRuns, words, type RawFinding, type Rule } from './rule.ts';

/** The argv of an apt-get/apt command (sudo and env prefixes skipped), or null. */
export function aptArgs(cmd: string): string[] | null {
  const w = words(cmd);
  let i = 0;
  while (w[i] === 'sudo' || w[i] === 'env' || /^[A-Z_][A-Z0-9_]*=/.test(w[i] ?? '')) i++;
  return w[i] === 'apt-get' || w[i] === 'apt' ? w.slice(i + 1) : null;
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
