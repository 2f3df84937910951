/** DL1020: shell-form CMD/ENTRYPOINT in a stage whose base has no /bin/sh — the container cannot start. */
import type { RawFinding, Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1020',
  name: 'shell-form-without-shell',
  severity: 'error',
  description: 'Shell-form CMD or ENTRYPOINT in a stage whose base image has no shell.',
  fix: 'Use exec form: `CMD ["/app/server", "--port", "8080"]`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.model.stages) {
      if (ctx.base(s).hasShell !== false) continue;
      for (const i of s.instructions) {
        if ((i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT') && i.form === 'shell' && i.args !== '') {
          out.push({ line: i.line, message: `${i.keyword} in shell form needs /bin/sh, which ${ctx.rootRef(s).name} does not have` });
        }
      }
    }
    return out;
  },
};
