/** The `distill` program: builds the commander tree from src/cli/commands and runs it. */
import { Command, CommanderError } from 'commander';
import { DistillError } from '../util/errors.ts';
import { registerCommands } from './commands/index.ts';
import { VERSION } from '../version.ts';

/** The program with the command `argv` names registered (all of them when it names none). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('distill')
    .description('Take a container image from fat to hardened distroless, and prove it.')
    .version(VERSION)
    // Usage errors follow the one-line convention too: `distill: <what is wrong> (see --help)`.
    .configureOutput({ outputError: (str, write) => write(`distill: ${str.replace(/^error: /, '').trim()} (see --help)\n`) })
    .exitOverride();
  await registerCommands(program, argv);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander; they already printed.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof DistillError) {
      process.stderr.write(err.oneLine() + '\n');
      return err.exitCode;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`distill: ${msg.replace(/\s*\n\s*/g, ' ')}\n`);
    if (process.env.DISTILL_DEBUG && err instanceof Error) process.stderr.write(String(err.stack) + '\n');
    return 2;
  }
}

const isMain = process.argv[1] && /[\\/]cli[\\/]main\.(ts|js)$/.test(process.argv[1]);
if (isMain) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  });
}
