/**
 * How RUN commands drive the package managers, read from the shell tokenizer's argv (sudo and env
 * prefixes already dropped): which manager, which subcommand (global options and their values
 * skipped), and the words after it. Shared by the install, cleanup and upgrade rules.
 */
import type { ShellCommand } from '../shell.ts';

export type Manager = 'apt' | 'yum' | 'dnf' | 'microdnf' | 'zypper' | 'apk';

const PROGRAMS: Record<string, Manager> = { 'apt-get': 'apt', apt: 'apt', yum: 'yum', dnf: 'dnf', dnf5: 'dnf', microdnf: 'microdnf', zypper: 'zypper', apk: 'apk' };

// Options that take the next word as their value, per manager, so it is not read as the subcommand.
const VALUED: Record<Manager, Set<string>> = {
  apt: new Set(['-o', '--option', '-c', '--config-file', '-t', '--target-release']),
  yum: new Set(['-c', '--config', '--installroot', '--releasever', '--enablerepo', '--disablerepo', '--repo', '--setopt', '-d', '-e', '-x', '--exclude']),
  dnf: new Set(['-c', '--config', '--installroot', '--releasever', '--enablerepo', '--disablerepo', '--repo', '--repoid', '--setopt', '--forcearch', '-d', '-e', '-x', '--exclude', '--use-host-config']),
  microdnf: new Set(['--installroot', '--releasever', '--enablerepo', '--disablerepo', '--setopt', '--config']),
  zypper: new Set(['-R', '--root', '-c', '--config', '-D', '--reposd-dir', '-C', '--cache-dir', '--installroot']),
  apk: new Set(['-X', '--repository', '-p', '--root', '--arch', '--cache-dir', '--keys-dir']),
};

/** A package-manager command: the manager, its subcommand, the option words before it and every word after it. */
export interface PmCommand {
  manager: Manager;
  program: string;
  sub: string;
  /** Options before the subcommand (global ones: zypper's `-n`, dnf's `-y`). */
  before: string[];
  /** Everything after the subcommand: its options and the package names. */
  after: string[];
}

/** Reads a simple command as a package-manager invocation, or null when it is none. */
export function pmCommand(cmd: ShellCommand): PmCommand | null {
  const [program = '', ...args] = cmd.argv;
  const manager = PROGRAMS[program.replace(/^.*\//, '')];
  if (!manager) return null;
  const valued = VALUED[manager];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (valued.has(a)) i++;
      continue;
    }
    return { manager, program, sub: a, before: args.slice(0, i), after: args.slice(i + 1) };
  }
  return { manager, program, sub: '', before: args, after: [] };
}

const INSTALLS: Record<Manager, RegExp> = {
  apt: /^(install|upgrade|dist-upgrade|full-upgrade|build-dep)$/,
  yum: /^(install|groupinstall|localinstall|reinstall|update|upgrade)$/,
  dnf: /^(install|in|groupinstall|localinstall|reinstall|update|upgrade)$/,
  microdnf: /^(install|reinstall|update|upgrade)$/,
  zypper: /^(install|in|update|up|dist-upgrade|dup|patch)$/,
  apk: /^(add|upgrade)$/,
};

/** True when the command installs or upgrades packages (so it downloads into the cache). */
export function installs(c: PmCommand): boolean {
  return INSTALLS[c.manager].test(c.sub);
}

/** The package names an install names (options and their values left out). */
export function packagesOf(c: PmCommand): string[] {
  return c.after.filter((a) => !a.startsWith('-')).map((a) => a.replace(/[=<>].*$/, ''));
}
