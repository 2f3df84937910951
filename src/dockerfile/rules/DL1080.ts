/** DL1080: HEALTHCHECK calls curl/wget (or needs a shell) on a base that has neither. */
import type { RawFinding, Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1080',
  name: 'healthcheck-tool-missing',
  severity: 'warning',
  description: 'HEALTHCHECK runs curl/wget or a shell command on a distroless base that has neither.',
  fix: 'Use an orchestrator probe (Kubernetes httpGet), or ship a static health-check binary and use exec form.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.model.stages) {
      const b = ctx.base(s);
      if (b.distroless !== true || b.debug) continue;
      for (const i of s.instructions) {
        if (i.keyword !== 'HEALTHCHECK' || /^NONE\b/i.test(i.args)) continue;
        const cmd = i.args.replace(/^CMD\s+/i, '');
        const exec = /^\[/.test(cmd.trim());
        if (/\b(curl|wget)\b/.test(cmd)) out.push({ line: i.line, message: `HEALTHCHECK calls ${/\bcurl\b/.test(cmd) ? 'curl' : 'wget'}, which ${ctx.rootRef(s).name} does not have` });
        else if (!exec) out.push({ line: i.line, message: `HEALTHCHECK in shell form needs /bin/sh, which ${ctx.rootRef(s).name} does not have` });
      }
    }
    return out;
  },
};
