/** DL1082: COPY/ADD of the whole build context with no .dockerignore next to the Dockerfile. */
import { sources } from './DL1040.ts';
import type { RawFinding, Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1082',
  name: 'copy-context-no-dockerignore',
  severity: 'warning',
  description: 'The whole build context is copied and there is no .dockerignore.',
  fix: 'Add a .dockerignore (.git, .env, node_modules, secrets, build output) or COPY only what the build needs.',
  check(ctx) {
    if (ctx.dockerignorePresent !== false) return [];
    const out: RawFinding[] = [];
    for (const i of ctx.model.instructions) {
      if ((i.keyword !== 'COPY' && i.keyword !== 'ADD') || i.flags.some((f) => f.name === 'from')) continue;
      if (sources(i).some((s) => /^\.\/?$|^\.\/\*$|^\*$/.test(s))) out.push({ line: i.line, message: `${i.keyword} of the whole context without a .dockerignore (.git, .env and local secrets go in too)` });
    }
    return out;
  },
};
