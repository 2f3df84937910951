/**
 * Every command of the CLI, one file each; add a line here when adding a command.
 *
 * Commands are loaded lazily: a run of `distill push` imports only push's modules, not the
 * OpenPGP, CycloneDX or Chromium-driving code of the others, which keeps start-up (paid by every
 * CI step and every benchmark against a Go peer) near Node's own. Top-level help, `help`, and an
 * unknown command load them all so commander can list them and suggest the nearest name.
 */
import type { Command } from 'commander';

type Loader = () => Promise<{ register: (program: Command) => void }>;

export const COMMANDS: Record<string, Loader> = {
  harden: () => import('./harden.ts'),
  lint: () => import('./lint.ts'),
  convert: () => import('./convert.ts'),
  plan: () => import('./plan.ts'),
  base: () => import('./base.ts'),
  build: () => import('./build.ts'),
  pull: () => import('./pull.ts'),
  push: () => import('./push.ts'),
  copy: () => import('./copy.ts'),
  inspect: () => import('./inspect.ts'),
  export: () => import('./export.ts'),
  audit: () => import('./audit.ts'),
  needs: () => import('./needs.ts'),
  sbom: () => import('./sbom.ts'),
  db: () => import('./db.ts'),
  scan: () => import('./scan.ts'),
  compare: () => import('./compare.ts'),
  report: () => import('./report.ts'),
  policy: () => import('./policy.ts'),
  verify: () => import('./verify.ts'),
  debug: () => import('./debug.ts'),
};

/** Registers the command `argv` names, or every command when it names none of them. */
export async function registerCommands(program: Command, argv: readonly string[] = []): Promise<void> {
  const first = argv.find((a) => !a.startsWith('-'));
  const version = argv.includes('-V') || argv.includes('--version');
  if (!first && version && !argv.includes('-h') && !argv.includes('--help')) return;
  const wanted = first === 'help' ? argv[argv.indexOf('help') + 1] : first;
  const names = wanted && wanted in COMMANDS && argv[0] === first ? [wanted] : Object.keys(COMMANDS);
  const modules = await Promise.all(names.map((n) => COMMANDS[n]!()));
  for (const m of modules) m.register(program);
}
