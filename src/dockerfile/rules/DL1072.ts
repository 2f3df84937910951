/** DL1072: `npm install` where `npm ci` fits (installing from the lockfile, no package named). */
import type { ShellCommand } from '../shell.ts';
import { allRuns, type RawFinding, type Rule } from './rule.ts';

/** npm's argv when the command is `npm install|i|add` with no package named, else null. */
export function bareNpmInstall(cmd: ShellCommand): string[] | null {
  const w = cmd.words;
  const at = w.indexOf('npm');
  if (at < 0 || !['install', 'i', 'add', 'isntall'].includes(w[at + 1] ?? '')) return null;
  const rest = w.slice(at + 2);
  if (rest.some((x) => !x.startsWith('-'))) return null;
  return rest;
}

export const rule: Rule = {
  id: 'DL1072',
  name: 'npm-install-not-ci',
  severity: 'info',
  description: '`npm install` without package names, where `npm ci` installs exactly the lockfile.',
  fix: 'COPY package.json and package-lock.json, then `npm ci` (add `--omit=dev` for runtime).',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      if (r.cmds.some((c) => bareNpmInstall(c) !== null)) out.push({ line: r.ins.line, message: '`npm install` may change versions; `npm ci` installs the lockfile exactly' });
    }
    return out;
  },
};
