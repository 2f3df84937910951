/** DL1071: pip install without --no-cache-dir keeps wheels in ~/.cache/pip inside the layer. */
import { allRuns, type RawFinding, type Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1071',
  name: 'pip-no-cache-dir',
  severity: 'info',
  description: 'pip install without --no-cache-dir.',
  fix: 'Use `pip install --no-cache-dir …`, set `PIP_NO_CACHE_DIR=1`, or use a cache mount.',
  check(ctx) {
    const out: RawFinding[] = [];
    const envOff = ctx.model.instructions.some((i) => (i.keyword === 'ENV' || i.keyword === 'ARG') && /PIP_NO_CACHE_DIR[= ]+(1|true|on|yes|off)/i.test(i.args));
    if (envOff) return [];
    for (const r of allRuns(ctx.model)) {
      if (r.ins.mounts.some((m) => m.type === 'cache' && /pip/.test(m.options.target ?? ''))) continue;
      for (const c of r.cmds) {
        const w = c.words;
        const at = w.findIndex((x) => /^(pip3?(\.\d+)?|.*\/pip3?)$/.test(x));
        const viaModule = w.findIndex((x, i) => x === '-m' && w[i + 1] === 'pip');
        const start = at >= 0 ? at : viaModule >= 0 ? viaModule + 1 : -1;
        if (start < 0 || w[start + 1] !== 'install') continue;
        if (w.includes('--no-cache-dir')) continue;
        out.push({ line: r.ins.line, message: 'pip install without --no-cache-dir' });
        break;
      }
    }
    return out;
  },
};
