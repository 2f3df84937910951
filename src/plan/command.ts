/**
 * How the app starts, read from a Dockerfile's final stage: ENTRYPOINT + CMD with inheritance
 * resolved by the model, shell form read as words, init wrappers and `sh -c` unwrapped,
 * variables with known values substituted, and each runtime's launcher mapped to the argv its
 * interpreter runs (`npm start` through package.json to `node …`, `gunicorn …` to
 * `python3 -m gunicorn …`). convert and build both take the command from here.
 */
import type { Instruction, Stage } from '../dockerfile/model.ts';
import { needsShell, splitCommands, substitute } from '../dockerfile/shell.ts';
import type { Command, Language } from './types.ts';

export const CMD_SIGNALS: Record<string, Language> = {
  npm: 'node', yarn: 'node', pnpm: 'node', node: 'node', npx: 'node', nodejs: 'node', bun: 'node',
  pip: 'python', pip3: 'python', python: 'python', python3: 'python', poetry: 'python', uv: 'python', pipenv: 'python', gunicorn: 'python', uvicorn: 'python',
  go: 'go',
  mvn: 'java', './mvnw': 'java', gradle: 'java', './gradlew': 'java', java: 'java',
  cargo: 'rust', rustc: 'rust',
  dotnet: 'dotnet',
  gcc: 'cpp', 'g++': 'cpp', cc: 'cpp', 'c++': 'cpp', clang: 'cpp', 'clang++': 'cpp', cmake: 'cpp', make: 'cpp',
};


/** The language of one command, or null. */
export function commandLanguage(argv: string[]): Language | null {
  const a0 = argv[0] ?? '';
  const base = a0.split('/').pop() ?? a0;
  if (CMD_SIGNALS[a0]) return CMD_SIGNALS[a0];
  if (/^python3?(\.\d+)?$/.test(base)) return 'python';
  if (a0 === 'gradlew' || a0 === 'mvnw') return 'java';
  return CMD_SIGNALS[base] && base !== 'make' && base !== 'cc' ? CMD_SIGNALS[base] : null;
}

const WRAPPERS = new Set(['dumb-init', 'tini', '/sbin/tini', '/usr/bin/tini', '/usr/bin/dumb-init', '/tini', 'gosu', 'su-exec']);

/**
 * The command line the final stage starts: ENTRYPOINT + CMD, shell form read as words, init
 * wrappers and `sh -c` unwrapped, variables with known values substituted.
 */
export function resolveCommand(stage: Stage, vars: Record<string, string>, baseEntrypoint: string[] | null): Command | null {
  // The model resolves inheritance: ENTRYPOINT/CMD may come from a parent stage, and an
  // ENTRYPOINT set after an inherited CMD has already cleared it.
  const entry: Instruction | null = stage.config.entrypoint;
  const cmd: Instruction | null = stage.config.cmd;
  const problems: string[] = [];
  const notes: string[] = [];
  let several = false;
  const firstCommand = (text: string): string[] => {
    const cmds = splitCommands(text);
    if (cmds.length > 1) several = true;
    return cmds[0]?.argv ?? [];
  };
  const words = (i: Instruction): string[] => {
    let argv = i.exec;
    if (!argv) {
      const text = substituteKnown(i.args, vars, notes);
      if (needsShell(text)) problems.push(`line ${i.line}: \`${i.args}\` needs a shell (operators, globs or unknown variables); distroless has none`);
      argv = firstCommand(text);
    }
    // sh -c "…" in exec form is a shell command too.
    if ((argv[0] === 'sh' || argv[0] === '/bin/sh' || argv[0] === 'bash' || argv[0] === '/bin/bash') && argv[1] === '-c' && argv[2] !== undefined) {
      notes.push(`\`${argv[0]} -c\` unwrapped: distroless has no shell`);
      const text = substituteKnown(argv[2], vars, notes);
      if (needsShell(text)) problems.push(`line ${i.line}: \`${argv[2]}\` needs a shell; distroless has none`);
      argv = firstCommand(text);
    }
    return argv;
  };
  let e: string[] = [];
  let c: string[] = [];
  if (entry) e = words(entry);
  if (cmd && !(entry && !entry.exec)) c = words(cmd);
  while (e.length && (WRAPPERS.has(e[0]!) || e[0] === '--')) {
    notes.push(`init wrapper \`${e[0]}\` dropped: use the runtime's --init (podman/docker) or the orchestrator's`);
    e = e.slice(1);
  }
  if (!entry && !cmd) {
    if (!baseEntrypoint) return null;
    e = baseEntrypoint;
  }
  // Only an exec-form CMD is appended to the base's ENTRYPOINT; a shell-form one meant the whole command.
  if (!entry && cmd?.exec && baseEntrypoint) e = baseEntrypoint;
  let argv = [...e, ...c];
  while (argv.length && (WRAPPERS.has(argv[0]!) || argv[0] === '--')) {
    notes.push(`init wrapper \`${argv[0]}\` dropped: use the runtime's --init (podman/docker) or the orchestrator's`);
    argv = argv.slice(1);
  }
  let wrapperScript: string | null = null;
  if (e.length && /(^|\/)([\w-]*entrypoint[\w-]*|.*\.sh)$/.test(e[0]!)) {
    wrapperScript = e[0]!;
    problems.push(`ENTRYPOINT \`${e[0]}\` is a shell script; distroless cannot run it — move what it does into the build or the orchestrator`);
    argv = c;
  }
  return { argv, entryLen: Math.min(e.length, argv.length), problems, notes, wrapperScript, several };
}

function substituteKnown(text: string, vars: Record<string, string>, notes: string[]): string {
  const out = substitute(text, vars);
  if (out !== text) notes.push(`variables in \`${text}\` substituted with their ENV values (exec form does not expand them)`);
  return out;
}

/** The node arguments for a command line, resolving package-manager scripts via package.json. */
export function nodeArgs(argv: string[], pkg: any, next: boolean, depth = 0): { args: string[] | null; note?: string; problem?: string; shell?: boolean } {
  const a0 = argv[0] ?? '';
  const base = a0.split('/').pop() ?? '';
  if (base === 'node' || base === 'nodejs') return { args: argv.slice(1) };
  if (/\.(m|c)?js$/.test(a0)) return { args: argv };
  if (depth > 2) return { args: null, problem: 'scripts call scripts too deeply to resolve' };
  if (base === 'npm' || base === 'yarn' || base === 'pnpm') {
    let script = argv[1];
    if (script === 'run' || script === 'run-script') script = argv[2];
    if (!script) return { args: null, problem: `\`${argv.join(' ')}\` runs no script` };
    if (pkg === undefined) {
      if (script === 'start') return { args: null, problem: `\`${argv.join(' ')}\` needs package.json to resolve (give the build context with --context)` };
      return { args: null, problem: `cannot resolve \`${argv.join(' ')}\` without package.json` };
    }
    let body: string | undefined = pkg.scripts?.[script];
    if (body === undefined && script === 'start') body = 'node server.js'; // npm's documented default
    if (body === undefined) return { args: null, problem: `package.json has no "${script}" script` };
    if (needsShell(body)) return { args: null, problem: `the "${script}" script \`${body}\` needs a shell`, shell: true };
    const inner = splitCommands(body);
    if (inner.length !== 1) return { args: null, problem: `the "${script}" script \`${body}\` runs several commands`, shell: true };
    const r = nodeArgs(inner[0]!.argv, pkg, next, depth + 1);
    return { ...r, note: `\`${argv.join(' ')}\` resolved through package.json to \`${body}\` (npm is not in the runtime and would add a process that swallows signals)` };
  }
  if (base === 'npx' && argv[1]) return nodeArgs(argv.slice(1), pkg, next, depth + 1);
  if (base === 'next' && argv[1] === 'start') {
    if (!next) return { args: null, problem: '`next start` without a `next build` step' };
    return { args: ['server.js'], note: '`next start` replaced by the standalone server.js that `next build` writes with output: "standalone"' };
  }
  return { args: null, problem: `\`${argv.join(' ')}\` is not a node command we can map to the node runtime` };
}

/** Console scripts that are also runnable as `python -m module`. */
const MODULE_OF: Record<string, string> = {
  gunicorn: 'gunicorn', uvicorn: 'uvicorn', hypercorn: 'hypercorn', flask: 'flask', celery: 'celery',
  'waitress-serve': 'waitress', fastapi: 'fastapi', streamlit: 'streamlit', daphne: 'daphne', granian: 'granian', pytest: 'pytest',
};

/** python3 arguments for a command line (`gunicorn …` becomes `-m gunicorn …`). */
export function pythonArgs(argv: string[]): { args: string[] | null; note?: string; problem?: string } {
  const a0 = argv[0] ?? '';
  const base = a0.split('/').pop() ?? '';
  if (/^python(3(\.\d+)?)?$/.test(base)) return { args: argv.slice(1) };
  if ((base === 'poetry' || base === 'uv' || base === 'pipenv') && argv[1] === 'run') {
    const r = pythonArgs(argv.slice(2));
    return { ...r, note: `\`${base} run\` dropped: ${base} is a build tool and is not in the runtime` };
  }
  if (MODULE_OF[base]) {
    const ro = base === 'gunicorn' && !argv.includes('--worker-tmp-dir') ? '; with a read-only root filesystem give gunicorn a writable --worker-tmp-dir (e.g. /dev/shm) or mount a tmpfs at /tmp' : '';
    return { args: ['-m', MODULE_OF[base], ...argv.slice(1)], note: `\`${base}\` run as \`python -m ${MODULE_OF[base]}\`: its console script's shebang names the builder's interpreter${ro}` };
  }
  if (/\.py$/.test(a0)) return { args: argv };
  return { args: null, problem: `\`${argv.join(' ')}\` is not a python command we can map to the python3 runtime` };
}

