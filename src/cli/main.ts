/** The `distill` program: builds the commander tree from src/cli/commands and runs it. */
import { Command, CommanderError } from 'commander';
import { DistillError, escapeControl, toReportable } from '../util/errors.ts';
import { COMMANDS, registerCommands } from './commands/index.ts';
import { printError, wantsJson } from './output.ts';
import { VERSION } from '../version.ts';

/** The program with the command `argv` names registered (all of them when it names none). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  // With --json a usage error is reported as JSON by runCli; commander must not print it first.
  const json = wantsJson(argv);
  const program = new Command('distill')
    .description('Take a container image from fat to hardened distroless, and prove it.')
    .version(VERSION)
    // Usage errors follow the one-line convention too: `distill: <what is wrong> (see --help)`.
    .configureOutput({ outputError: (str, write) => (json ? undefined : write(`distill: ${usageMessage(str)} (see --help)\n`)) })
    .exitOverride();
  await registerCommands(program, argv);
  return program;
}

/** Commander's error text without its `error: ` prefix, on one line, control characters escaped. */
function usageMessage(s: string): string {
  return escapeControl(s.replace(/^error: /, '').trim());
}

/** What a usage error is about: `distill <command>` when argv names one, else `distill`. */
function usageInput(argv: readonly string[]): string {
  const first = argv.find((a) => !a.startsWith('-'));
  return first && first in COMMANDS ? `distill ${first}` : 'distill';
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const json = wantsJson(argv);
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander; they already printed.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      // The text form was printed by outputError; JSON is printed here, with the same words.
      const usage = new DistillError(usageInput(argv), `${usageMessage(err.message)} (see --help)`, { code: 'E_USAGE' });
      if (json) printError(usage, true);
      return usage.exitCode;
    }
    const e = toReportable(err, usageInput(argv));
    printError(e, json);
    if (process.env.DISTILL_DEBUG && !(err instanceof DistillError) && err instanceof Error) process.stderr.write(String(err.stack) + '\n');
    return e.exitCode;
  }
}

const isMain = process.argv[1] && /[\\/]cli[\\/]main\.(ts|js)$/.test(process.argv[1]);
if (isMain) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  });
}
