/**
 * DL1061: package-manager caches (apt lists, yum/dnf/microdnf/zypper metadata) left in the layer.
 * The cleanup has to come after the last install of the RUN: one before it (or only between two
 * installs) leaves the last install's cache behind.
 */
import type { ShellCommand } from '../shell.ts';
import { allRuns, type RawFinding, type Rule } from './rule.ts';
import { installs, pmCommand, type Manager } from './pm.ts';

interface Cache {
  /** Managers whose installs this cache holds. */
  managers: Manager[];
  /** The command that empties it: the manager's own clean, or an rm/find of its directory. */
  cleans: (c: ShellCommand) => boolean;
  cacheMount: RegExp;
  hint: string;
}

/** True for `rm`/`find … -delete` of a path under `dir`. */
function removes(c: ShellCommand, dir: RegExp): boolean {
  const [p, ...args] = c.argv;
  if (p === 'rm') return args.some((a) => dir.test(a));
  if (p === 'find') return args.includes('-delete') && args.some((a) => dir.test(a));
  return false;
}

/** True for `<manager> [opts] clean all` (zypper: `clean`/`cc` with any options). */
function managerClean(c: ShellCommand, managers: Manager[]): boolean {
  const pm = pmCommand(c);
  if (!pm || !managers.includes(pm.manager)) return false;
  if (pm.manager === 'zypper') return pm.sub === 'clean' || pm.sub === 'cc';
  return pm.sub === 'clean' && pm.after.includes('all');
}

const CACHES: (Cache & { name: string })[] = [
  { name: 'apt', managers: ['apt'], cleans: (c) => removes(c, /\/var\/lib\/apt\/lists/), cacheMount: /\/var\/lib\/apt/, hint: 'rm -rf /var/lib/apt/lists/*' },
  { name: 'yum', managers: ['yum'], cleans: (c) => managerClean(c, ['yum', 'dnf']) || removes(c, /\/var\/cache\/yum/), cacheMount: /\/var\/cache\/yum/, hint: 'yum clean all' },
  { name: 'dnf', managers: ['dnf'], cleans: (c) => managerClean(c, ['dnf', 'yum', 'microdnf']) || removes(c, /\/var\/cache\/(dnf|libdnf5)/), cacheMount: /\/var\/cache\/(dnf|libdnf5)/, hint: 'dnf clean all' },
  { name: 'microdnf', managers: ['microdnf'], cleans: (c) => managerClean(c, ['microdnf', 'dnf']) || removes(c, /\/var\/cache\/(yum|dnf|libdnf5)/), cacheMount: /\/var\/cache\/(yum|dnf|libdnf5)/, hint: 'microdnf clean all' },
  { name: 'zypper', managers: ['zypper'], cleans: (c) => managerClean(c, ['zypper']) || removes(c, /\/var\/cache\/zypp/), cacheMount: /\/var\/cache\/zypp/, hint: 'zypper clean --all' },
];

/** True when the apt command fills the cache: `update` writes the lists, installs the archives. */
function fills(cmd: ShellCommand, cache: Cache): boolean {
  const pm = pmCommand(cmd);
  if (!pm || !cache.managers.includes(pm.manager)) return false;
  return installs(pm) || (pm.manager === 'apt' && pm.sub === 'update');
}

export const rule: Rule = {
  id: 'DL1061',
  name: 'package-cache-not-cleaned',
  severity: 'info',
  description: 'A RUN that installs packages leaves the package index/cache in the layer.',
  fix: 'End the same RUN with the cleanup (`rm -rf /var/lib/apt/lists/*`, `dnf clean all`…), after its last install, or use a cache mount.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      for (const m of CACHES) {
        let last = -1;
        r.cmds.forEach((c, i) => {
          if (fills(c, m)) last = i;
        });
        if (last < 0 || r.cmds.slice(last + 1).some(m.cleans)) continue;
        if (r.ins.mounts.some((x) => x.type === 'cache' && m.cacheMount.test(x.options.target ?? x.options.dst ?? x.options.destination ?? ''))) continue;
        const before = r.cmds.slice(0, last).some(m.cleans);
        out.push({ line: r.ins.line, message: before ? `${m.name} cache left in the layer: the cleanup runs before the last install (move \`${m.hint}\` to the end of this RUN)` : `${m.name} cache left in the layer (add \`${m.hint}\` to this RUN)` });
      }
    }
    return out;
  },
};
