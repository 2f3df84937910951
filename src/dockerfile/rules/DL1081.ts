/** DL1081: EXPOSE 22 — an SSH daemon in a container is a second, unmanaged way in. */
import type { RawFinding, Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1081',
  name: 'expose-ssh',
  severity: 'warning',
  description: 'EXPOSE 22 (SSH).',
  fix: 'Remove the SSH server; use `kubectl exec`/`podman exec` or an ephemeral debug container.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const i of ctx.model.instructions) {
      if (i.keyword !== 'EXPOSE') continue;
      if (i.args.split(/\s+/).some((p) => /^22(\/(tcp|udp))?$/i.test(p) || /^(\d+)-(\d+)/.test(p) && Number(p.split('-')[0]) <= 22 && Number.parseInt(p.split('-')[1] ?? '0', 10) >= 22)) {
        out.push({ line: i.line, message: 'EXPOSE 22: an SSH port in the image' });
      }
    }
    return out;
  },
};
