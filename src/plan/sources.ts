/**
 * What a stage is known to produce, read from its instructions: WORKDIRs, COPY/ADD destinations
 * and the outputs of the build commands we recognise (`go build -o`, `pip install --target`,
 * `--prefix`, `--user`, venvs, `dotnet publish -o`, `cargo build`, `mvn package`, `mkdir`, `cp`…),
 * with the outputs of the stages it is built FROM. Used to check that a `COPY --from` names a path
 * its stage can hold: the base image's own files are unknown, so only a contradiction counts — a
 * path nothing produced while the stage produced a file of that name elsewhere (the build wrote
 * `/out/app`, the COPY takes `/go/bin/app`) — never the mere absence of evidence.
 */
import { flagOf, joinPath, runCommands, stageChain } from '../dockerfile/parse.ts';
import type { Instruction, Stage } from '../dockerfile/model.ts';
import { flagValue } from '../dockerfile/shell.ts';
import { copyWords } from './common.ts';

/** A path a stage produced, and whether a RUN made it (a COPY destination or WORKDIR otherwise). */
export interface Output {
  path: string;
  byRun: boolean;
}

/** The outputs of one RUN command (absolute paths). */
function commandOutputs(argv: string[], workdir: string, env: Record<string, string>): string[] {
  const a0 = (argv[0] ?? '').split('/').pop() ?? '';
  const at = (p: string | undefined) => (p === undefined ? [] : [joinPath(workdir, p)]);
  if (a0 === 'go' && argv[1] === 'build') return at(flagValue(argv, '-o'));
  if (a0 === 'go' && argv[1] === 'install') return [env.GOBIN ?? `${env.GOPATH ?? '/go'}/bin`];
  if (/^pip3?(\.\d+)?$/.test(a0) || (/^python/.test(a0) && argv[1] === '-m' && /^pip/.test(argv[2] ?? ''))) {
    const target = flagValue(argv, '--target', '-t');
    const prefix = flagValue(argv, '--prefix', '--root');
    return [...at(target), ...at(prefix), ...(argv.includes('--user') ? [`${env.HOME ?? '/root'}/.local`] : [])];
  }
  if ((/^python/.test(a0) && argv[1] === '-m' && (argv[2] === 'venv' || argv[2] === 'virtualenv')) || a0 === 'virtualenv') return at(argv.filter((x) => !x.startsWith('-')).pop());
  if (a0 === 'uv' && argv[1] === 'venv') return at(argv.slice(2).find((x) => !x.startsWith('-')) ?? '.venv');
  if (a0 === 'uv' && argv[1] === 'sync') return at('.venv');
  if (a0 === 'dotnet' && argv[1] === 'publish') return at(flagValue(argv, '-o', '--output'));
  if (a0 === 'cargo' && argv[1] === 'build') return at(env.CARGO_TARGET_DIR ?? 'target');
  if (a0 === 'cargo' && argv[1] === 'install') return [`${flagValue(argv, '--root') ?? env.CARGO_HOME ?? '/usr/local/cargo'}/bin`];
  if (/^(mvn|mvnw)$/.test(a0)) return [...at('target'), ...at(argv.find((x) => x.startsWith('-DoutputDirectory='))?.slice('-DoutputDirectory='.length))];
  if (/^(gradle|gradlew)$/.test(a0)) return at('build');
  if (/^(npm|yarn|pnpm)$/.test(a0)) return at('.');
  if (a0 === 'cmake') return at(flagValue(argv, '-B') ?? argv.find((x) => /^-B./.test(x))?.slice(2));
  if (/^(gcc|g\+\+|cc|c\+\+|clang|clang\+\+)$/.test(a0)) return at(flagValue(argv, '-o'));
  if (a0 === 'make') return at('.');
  if (a0 === 'mkdir' || a0 === 'touch') return argv.slice(1).filter((x) => !x.startsWith('-')).flatMap((x) => at(x));
  if (a0 === 'cp' || a0 === 'mv' || a0 === 'ln' || a0 === 'install') return at(argv.slice(1).filter((x) => !x.startsWith('-')).pop());
  if (a0 === 'tar' || a0 === 'unzip' || a0 === 'curl' || a0 === 'wget' || a0 === 'git') return at(flagValue(argv, '-C', '-d', '-o', '-O') ?? '.');
  return [];
}

/** Outputs of the commands we cannot read: a RUN doing anything else may write anywhere. */
function opaque(argv: string[]): boolean {
  const a0 = (argv[0] ?? '').split('/').pop() ?? '';
  return /^(sh|bash|\.\/.*|make|python3?|node|ruby|perl|npx|.*\.sh)$/.test(a0) && !(argv[1] === '-m');
}

/** Every output of a stage and of the stages it is built FROM; `complete` is false when a RUN may have written elsewhere. */
export function stageOutputs(stage: Stage): { outputs: Output[]; complete: boolean } {
  const outputs: Output[] = [];
  let complete = true;
  for (const st of stageChain(stage)) {
    for (const i of st.instructions) {
      if (i.keyword === 'WORKDIR') outputs.push({ path: joinPath(i.workdir, i.args.trim()), byRun: false });
      if (i.keyword === 'COPY' || i.keyword === 'ADD') outputs.push({ path: copyDestination(i), byRun: false });
      if (i.keyword !== 'RUN') continue;
      for (const c of runCommands(i)) {
        if (opaque(c.argv)) complete = false;
        for (const p of commandOutputs(c.argv, i.workdir, { ...i.vars, ...c.env })) outputs.push({ path: p, byRun: true });
      }
    }
  }
  return { outputs, complete };
}

/** The absolute destination of a COPY/ADD. */
export function copyDestination(i: Instruction): string {
  const words = copyWords(i);
  return joinPath(i.workdir, words[words.length - 1] ?? '.');
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.replace(/\/?$/, '/')) || dir.startsWith(path.replace(/\/?$/, '/'));
}

/** What is wrong with the `COPY --from` sources of a stage: a refusal when a path contradicts what its stage built, warnings when it only looks unlikely. */
export function copySourceProblems(final: Stage, stages: Stage[]): { refusal?: string; warnings: string[] } {
  const warnings: string[] = [];
  for (const i of final.instructions) {
    const from = i.keyword === 'COPY' ? flagOf(i, 'from') : undefined;
    if (from === undefined) continue;
    const src = stages.find((s) => s.alias?.toLowerCase() === from.toLowerCase() || String(s.index) === from);
    if (!src || src.index >= final.index) continue; // an external image: its files are unknown
    const { outputs, complete } = stageOutputs(src);
    for (const w of copyWords(i).slice(0, -1)) {
      if (/[*?[$]/.test(w)) continue;
      const path = joinPath(src.endWorkdir, w);
      if (outputs.some((o) => under(path, o.path))) continue;
      const name = path.split('/').pop() ?? '';
      const twin = outputs.find((o) => o.byRun && o.path.split('/').pop() === name);
      if (twin) return { refusal: `line ${i.line}: COPY --from=${from} takes ${path}, but stage \`${src.alias ?? src.index}\` builds ${name} at ${twin.path}; the copy would fail or take a stale file — fix the path`, warnings };
      const parent = path.replace(/\/[^/]*$/, '') || '/';
      const sibling = outputs.find((o) => o.byRun && parent !== '/' && o.path.replace(/\/[^/]*$/, '') === parent);
      if (sibling && complete) warnings.push(`line ${i.line}: COPY --from=${from} takes ${path}, which nothing in stage \`${src.alias ?? src.index}\` writes (it writes ${sibling.path}); check the path`);
    }
  }
  return { warnings };
}
