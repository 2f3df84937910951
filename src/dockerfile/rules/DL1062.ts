/** DL1062: a package index update (`apt-get update`, `apk update`, `yum makecache`…) in a RUN of its own — a later RUN install may use a stale cached index. */
import type { ShellCommand } from '../shell.ts';
import { allRuns, type RawFinding, type Rule } from './rule.ts';

const UPDATE = /^(update|makecache|refresh|ref|check-update)$/;
const INSTALL = /^(install|add|in|upgrade|dist-upgrade|full-upgrade|update-minimal)$/;
const MANAGERS = new Set(['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf', 'zypper']);

/** [manager, subcommand] of a package-manager command (sudo/env prefixes and options skipped). */
function pmCommand(cmd: ShellCommand): [string, string] | null {
  const [pm = '', ...args] = cmd.argv;
  if (!MANAGERS.has(pm)) return null;
  return [pm, args.find((x) => !x.startsWith('-')) ?? ''];
}

export const rule: Rule = {
  id: 'DL1062',
  name: 'apt-update-alone',
  severity: 'warning',
  description: 'A package index update without an install in the same RUN.',
  fix: 'Run `apt-get update && apt-get install -y --no-install-recommends …` in one RUN.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      const pm = r.cmds.map(pmCommand).filter((a): a is [string, string] => a !== null);
      const update = pm.find(([, sub]) => UPDATE.test(sub));
      if (update && !pm.some(([, sub]) => INSTALL.test(sub))) {
        out.push({ line: r.ins.line, message: `${update[0]} ${update[1]} alone: the install in a later RUN may use a stale cached index` });
      }
    }
    return out;
  },
};
