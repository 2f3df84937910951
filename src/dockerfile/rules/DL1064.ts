/** DL1064: `apt-get upgrade`/`dist-upgrade` in a build: the image then depends on the day it was built. */
import { allRuns, type RawFinding, type Rule } from './rule.ts';
import { pmCommand } from './pm.ts';

export const rule: Rule = {
  id: 'DL1064',
  name: 'apt-upgrade',
  severity: 'warning',
  description: '`apt-get upgrade` or `dist-upgrade` in the Dockerfile.',
  fix: 'Take the fixes from a newer base image tag (pinned by digest) instead of upgrading in the build.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      const up = r.cmds.map(pmCommand).find((p) => p?.manager === 'apt' && /^(upgrade|dist-upgrade|full-upgrade)$/.test(p.sub));
      if (!up) continue;
      // A plain upgrade only updates what is installed; dist-upgrade also adds and removes packages.
      const plain = up.sub === 'upgrade';
      out.push({ line: r.ins.line, severity: plain ? 'info' : 'warning', message: `${up.program} ${up.sub}: ${plain ? 'the packages depend on the day of the build' : 'packages are added and removed depending on the day of the build'}; use a newer base image instead` });
    }
    return out;
  },
};
