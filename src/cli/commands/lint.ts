/** `distill lint Dockerfile…`: hardening rules over Dockerfiles, as text, JSON or SARIF. */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { atLeast, decodeDockerfile, lintDockerfile, lintFile, loadLintConfig, RULES, type Finding, type Severity } from '../../dockerfile/lint.ts';
import { lintToSarif } from '../../report/lint-sarif.ts';
import { colors, type CommonOptions } from '../output.ts';

interface LintCliOptions extends CommonOptions {
  format: 'text' | 'json' | 'sarif';
  failOn: Severity | 'none';
  ignore: string[];
  config?: string;
  target?: string;
  inlineIgnore: boolean;
}

/** Result of linting several files: every finding (with `file`), and counts per severity. */
export interface LintRunResult {
  files: string[];
  findings: Finding[];
  summary: Record<Severity, number>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return decodeDockerfile(Buffer.concat(chunks), '-');
}

/** Lints each path (`-` = stdin) with the config file's and the command line's ignores applied. */
export async function lintPaths(paths: string[], opts: { ignore?: string[]; config?: string; target?: string; inlineIgnores?: boolean } = {}): Promise<LintRunResult> {
  const configPath = opts.config ?? (existsSync('.distill.yaml') ? '.distill.yaml' : existsSync('.distill.yml') ? '.distill.yml' : undefined);
  const config = configPath ? loadLintConfig(configPath) : { ignore: [] };
  const ignore = [...config.ignore, ...(opts.ignore ?? []).map((s) => s.toUpperCase())];
  const findings: Finding[] = [];
  for (const p of paths) {
    if (p === '-') findings.push(...lintDockerfile(await readStdin(), { ignore, target: opts.target, inlineIgnores: opts.inlineIgnores, file: '-' }));
    else findings.push(...lintFile(p, { ignore, target: opts.target, inlineIgnores: opts.inlineIgnores }));
  }
  const summary: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) summary[f.severity]++;
  return { files: paths, findings, summary };
}

/** Writes to stdout and waits until the pipe took it: the CLI exits right after the action. */
function writeOut(text: string): Promise<void> {
  return new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
}

function paint(s: Severity, text: string): string {
  return s === 'error' ? colors.red(text) : s === 'warning' ? colors.yellow(text) : colors.cyan(text);
}

/** Registers `distill lint`. */
export function register(program: Command): void {
  program
    .command('lint')
    .description('check Dockerfiles against hardening rules (root user, secrets, unpinned bases, curl|sh, …)')
    .argument('<dockerfile...>', 'Dockerfiles to check (- for stdin)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--json', 'same as --format json')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info', 'none']).default('error'))
    .option('--ignore <rule>', 'rule id to skip (repeatable, or comma-separated)', (v: string, acc: string[]) => [...acc, ...v.split(',').map((s) => s.trim()).filter(Boolean)], [] as string[])
    .option('--config <file>', 'YAML config with `ignore: [DL…]` (default: ./.distill.yaml when present)')
    .option('--target <stage>', 'treat this stage (alias or index) as the final one, like `build --target`')
    .option('--no-inline-ignore', 'disregard `# distill-ignore` comments in the Dockerfiles (audit what was silenced)')
    .option('-q, --quiet', 'print nothing; only the exit status tells')
    .addHelpText(
      'after',
      `
Rules: ${RULES.map((r) => r.id).join(' ')} (docs/rules/<ID>.md).
Silence a rule on one instruction with a comment on the line above it:
  # distill-ignore DL1012,DL1003
or for the whole file with such a comment before the first instruction.
JSON: { files, findings: [{ file, line, rule, severity, message, fix }], summary: { error, warning, info } }
Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad input.`,
    )
    .action(async (paths: string[], opts: LintCliOptions) => {
      const format = opts.json ? 'json' : opts.format;
      const r = await lintPaths(paths, { ignore: opts.ignore, config: opts.config, target: opts.target, inlineIgnores: opts.inlineIgnore });
      if (opts.failOn !== 'none' && r.findings.some((f) => atLeast(f.severity, opts.failOn as Severity))) process.exitCode = 1;
      if (opts.quiet) return;
      if (format === 'json') return writeOut(JSON.stringify(r, null, 2) + '\n');
      if (format === 'sarif') return writeOut(JSON.stringify(lintToSarif(r.findings), null, 2) + '\n');
      const lines = r.findings.map((f) => `${colors.bold(`${f.file ?? '-'}:${f.line}`)} ${f.rule} ${paint(f.severity, f.severity)} ${f.message}`);
      const s = r.summary;
      lines.push(`${r.findings.length === 0 ? colors.green('no findings') : `${s.error} error(s), ${s.warning} warning(s), ${s.info} info`} in ${r.files.length} file(s)`);
      await writeOut(lines.join('\n') + '\n');
    });
}
