/** `distill plan [APPDIR]`: the run plan convert renders and build assembles, printed for review. */
import { Option, type Command } from 'commander';
import { describePlan, type PlanDescription } from '../../plan/describe.ts';
import { PROVIDERS, type Provider } from '../../plan/providers.ts';
import { escapeControl } from '../../util/errors.ts';
import { colors, printJson, type CommonOptions } from '../output.ts';

interface PlanCliOptions extends CommonOptions {
  dockerfile?: string;
  target?: string;
  provider?: Provider;
  basePrefix?: string;
}

type Planned = Extract<PlanDescription, { status: 'planned' }>;

const MODE = { build: 'build: a runtime stage takes only the artefacts of the builder stage', rebase: "rebase: the final stage's FROM is swapped for the base" } as const;

/** A value as a JSON literal (arrays stay arrays), control characters escaped. */
const lit = (v: unknown) => escapeControl(JSON.stringify(v));

function baseLine(b: Planned['base']): string {
  if (b.source === 'distill') return `${b.flavour}, built by \`distill base ${b.flavour}\` into the cache (the base distill build uses when none is named)`;
  const from = b.source === 'provider' ? `${b.provider} provider` : b.source === 'prefix' ? '--base-prefix' : "the Dockerfile's own FROM";
  return `${b.flavour}: ${b.image ?? ''} (${from})`;
}

/** The plan as a short summary, one fact per line, every value escaped. */
function summary(d: Planned): string {
  const e = escapeControl;
  const stage = `stage ${d.stage.index}${d.stage.name ? ` "${d.stage.name}"` : ''}`;
  const lines = [
    `source:     ${e(d.dockerfile)}, ${e(stage)}, FROM ${e(d.stage.from)}`,
    `language:   ${d.language} (${e(d.buildTool)}); distill build runtime ${d.runtime}${d.version ? `, version ${e(d.version)}` : ''}`,
    `mode:       ${MODE[d.mode]}`,
    `base:       ${e(baseLine(d.base))}`,
    `workdir:    ${e(d.workdir)}`,
    `entrypoint: ${d.launch.entrypoint ? lit(d.launch.entrypoint) : `null (the base's: ${lit(d.base.entrypoint)})`}`,
    `cmd:        ${lit(d.launch.cmd)}`,
    `argv:       ${d.launch.argv ? lit(d.launch.argv) : 'none: the Dockerfile names no command (distill build detects one from package.json and friends)'}`,
    `env:        ${Object.keys(d.env).length ? '' : 'none'}`.trimEnd(),
    ...Object.entries(d.env).map(([k, v]) => `  ${e(k)}=${e(v)}`),
    `expose:     ${d.ports.length ? e(d.ports.join(' ')) : 'none'}`,
    `artefact:   ${d.artefact ? e(d.artefact) : 'none: the app directory is what build copies'}`,
    `warnings:   ${d.warnings.length || 'none'}`,
    ...d.warnings.map((w) => `  ${colors.yellow('-')} ${e(w)}`),
  ];
  return lines.join('\n') + '\n';
}

/** Registers `distill plan`. */
export function register(program: Command): void {
  program
    .command('plan')
    .description('print the run plan of an app: language, base, WORKDIR, ENTRYPOINT/CMD, ENV, EXPOSE, artefact')
    .argument('[appdir]', 'application directory', '.')
    .option('--dockerfile <file>', 'the Dockerfile to plan from (default: APPDIR/Dockerfile, else APPDIR/Containerfile)')
    .option('--target <stage>', 'plan this stage (name or index) as the app instead of the last one')
    .addOption(new Option('--provider <name>', "plan for this provider's images, as convert --provider does (default: the bases distill build uses)").choices(PROVIDERS))
    .option('--base-prefix <prefix>', 'plan for PREFIX/<flavour>:nonroot, as convert --base-prefix does')
    .option('--json', 'print the plan as JSON (schema in docs/commands/plan.md)')
    .option('-q, --quiet', 'print nothing but a refusal or an error; the exit status says planned (0), review (1) or refused (3)')
    .addHelpText(
      'after',
      `
Exit status: 0 planned; 1 planned with warnings a person must review; 3 refused: no safe plan
exists (the app would not start the same program), the reason printed; 2 bad input (no
Dockerfile, unreadable, not a Dockerfile, no such stage).

Examples:
  distill plan examples/node-express
  distill plan . --json
  distill plan . --target dev --provider chainguard`,
    )
    .action((appDir: string, opts: PlanCliOptions) => {
      const d = describePlan(appDir, {
        ...(opts.dockerfile ? { dockerfile: opts.dockerfile } : {}),
        ...(opts.target ? { target: opts.target } : {}),
        ...(opts.provider ? { provider: opts.provider } : {}),
        ...(opts.basePrefix !== undefined ? { basePrefix: opts.basePrefix } : {}),
      });
      if (opts.json) printJson(d);
      else if (d.status === 'refused') {
        process.stderr.write(`distill: ${escapeControl(d.dockerfile)}: refused: ${escapeControl(d.reason)}\n`);
        if (!opts.quiet) for (const w of d.warnings) process.stderr.write(`${colors.yellow('distill: warning:')} ${escapeControl(d.dockerfile)}: ${escapeControl(w)}\n`);
      } else if (!opts.quiet) process.stdout.write(summary(d));
      process.exitCode = d.status === 'refused' ? 3 : d.warnings.length ? 1 : 0;
    });
}
