/**
 * The run plan of an app built from a Dockerfile: which language its final stage runs, how it is
 * built and what reaches the runtime (the language strategy's plan), the distroless base it runs
 * on, and the ENTRYPOINT/CMD fitted to that base. `convert` renders this plan as a Dockerfile and
 * `build` assembles the same plan into an image, so the two cannot disagree on how the app starts.
 * Each step is a small function: analyse -> language -> strategy -> base -> launch.
 */
import { dirContext, memoryContext, NO_CONTEXT, type BuildContext } from './context.ts';
import { flagOf, parseDockerfile, runCommands, targetStage } from '../dockerfile/parse.ts';
import { copyWords } from './common.ts';
import { copySourceProblems, stageOutputs } from './sources.ts';
import { runtimeUser, writablePaths, type RuntimeUser } from './user.ts';
import type { DockerfileModel, Stage } from '../dockerfile/model.ts';
import { splitImage } from '../oci/docker-ref.ts';
import { classifyRuns, imageLanguage, scoreLanguages, unsupportedRuntime } from './detect.ts';
import { commandLanguage, resolveCommand } from './command.ts';
import { chooseBase, flavourOfRef, isDistrolessRef, knownBaseOfRef, PROVIDERS, type BaseImage } from './providers.ts';
import { nodeStrategy } from './node.ts';
import { pythonStrategy } from './python.ts';
import { goStrategy } from './go.ts';
import { javaStrategy } from './java.ts';
import { rustStrategy } from './rust.ts';
import { dotnetStrategy } from './dotnet.ts';
import { cppStrategy } from './cpp.ts';
import type { Analysis, Change, ConvertOptions, Language, Plan, RefusalClass, RunSpec, Strategy } from './types.ts';

const STRATEGIES: Record<Language, Strategy> = {
  node: nodeStrategy, python: pythonStrategy, go: goStrategy, java: javaStrategy, rust: rustStrategy, dotnet: dotnetStrategy, cpp: cppStrategy,
};

/** How the container starts on its base: ENTRYPOINT (null: the base's own) and CMD. */
export interface Launch {
  entrypoint: string[] | null;
  cmd: string[] | null;
}

/** The plan of a Dockerfile app, or why there is none. */
export type DockerfilePlan =
  | { status: 'refused'; reason: string; refusalClass: RefusalClass; language: Language | 'unknown'; buildTool: string; model: DockerfileModel; warnings: string[] }
  | {
      status: 'planned';
      model: DockerfileModel;
      analysis: Analysis;
      language: Language;
      /** build: the final stage becomes a builder and a runtime stage takes its artefacts; rebase: FROM swapped in place. */
      mode: 'build' | 'rebase';
      strategy: Plan;
      base: BaseImage;
      launch: Launch;
      /** The USER the runtime image runs as (the author's non-root user kept, root replaced by 65532), and why it changed. */
      user: RuntimeUser;
      /** Paths the app writes (the Dockerfile chowns them): the only files owned by the runtime user. */
      writable: string[];
      /** WORKDIR the app runs in. */
      workdir: string;
      /** ENV of the runtime image (the Dockerfile's, build-only keys dropped in build mode, plus what the strategy adds). */
      env: Record<string, string>;
      /** EXPOSE words of the final stage, inherited ones included. */
      ports: string[];
      warnings: string[];
      changes: Change[];
    };

/** The build context given as a directory, file names, file texts or a context. */
export function toContext(c: ConvertOptions['context']): BuildContext {
  if (!c) return NO_CONTEXT;
  if (typeof c === 'string') return dirContext(c);
  if (Array.isArray(c)) return memoryContext(c);
  if (typeof (c as BuildContext).files === 'function') return c as BuildContext;
  return memoryContext(c as Record<string, string>);
}

/** Plans an app from its Dockerfile text; throws Error when the text is not a Dockerfile (no FROM). */
export function planDockerfile(text: string, opts: ConvertOptions & { target?: string } = {}): DockerfilePlan {
  const provider = opts.provider ?? 'google';
  if (!PROVIDERS.includes(provider)) throw new Error(`unknown provider "${provider}" (one of ${PROVIDERS.join(', ')})`);
  const model = parseDockerfile(text);
  if (!model.stages.length) throw new Error('no FROM instruction: not a Dockerfile');
  const final = targetStage(model, opts.target);
  if (!final) throw new Error(`--target ${opts.target}: no such stage (stages: ${model.stages.map((s) => s.alias ?? String(s.index)).join(', ')})`);
  const malformed = [final.config.entrypoint, final.config.cmd].find((i) => i?.malformedExec);
  if (malformed) throw new Error(`line ${malformed.line}: ${malformed.keyword} ${malformed.args} is not a valid JSON array of strings (Docker would run it through a shell, which distroless has none of); fix the JSON (a comma between every two strings, none after the last)`);
  const a = analyse(model, final, toContext(opts.context), { ...opts, provider });
  const refuse = (why: Refusal, language: Language | 'unknown' = 'unknown', buildTool = 'unknown', warnings: string[] = []): DockerfilePlan => ({ status: 'refused', reason: why.reason, refusalClass: why.cls, language, buildTool, model, warnings: [why.reason, ...warnings] });

  const input = inputProblem(a);
  if (input) return refuse(input);
  const stageHint = stageWarnings(model, final, opts.target);
  const lang = chooseLanguage(a);
  if (!lang.ok) return refuse(lang, 'unknown', 'unknown', stageHint);
  const mode = chooseMode(a);
  const strategy = STRATEGIES[lang.language].plan(a, mode);
  const warnings = [...stageHint, ...languageWarnings(a, lang.language), ...(a.finalIsDistroless && a.runs.length ? ['the final stage is on a distroless base but has RUN instructions, which cannot run there'] : []), ...strategy.warnings];
  const changes: Change[] = [...strategy.changes, ...(a.command?.notes ?? []).map((n) => ({ kind: 'cmd', reason: n }))];
  // A command that cannot start without a shell, a script wrapper or an unresolvable launcher is
  // not guessed at: an image that cannot start is worse than no image.
  if (strategy.refusal) return refuse(strategy.refusal, lang.language, strategy.buildTool, warnings.filter((w) => w !== strategy.refusal!.reason));
  const problem = launchProblem(a, strategy);
  if (problem) return refuse(problem, lang.language, strategy.buildTool, warnings.filter((w) => w !== problem.reason));

  if (mode === 'build') strategy.copies.push(...referencedCopies(a, strategy));
  const sources = copySourceProblems(final, model.stages);
  if (sources.refusal) return refuse({ cls: 'missing-source', reason: sources.refusal }, lang.language, strategy.buildTool, warnings);
  warnings.push(...sources.warnings);
  const base = runtimeBase(a, strategy, lang.language);
  if (!base.ok) return refuse({ cls: 'no-base', reason: base.reason }, lang.language, strategy.buildTool);
  warnings.push(...base.warnings, ...glibcWarnings(a, mode, base.base));
  return {
    status: 'planned', model, analysis: a, language: lang.language, mode, strategy, base: base.base,
    launch: fitLaunch(strategy.run, base.base, lang.language), user: runtimeUser(final), writable: writablePaths(final), workdir: strategy.workdir ?? a.workdir,
    env: runtimeEnvOf(final, mode, strategy), ports: [...final.config.expose], warnings, changes,
  };
}

/** Keys of ENV that only matter while building (toolchain paths and switches). */
export function buildOnlyEnv(key: string): boolean {
  return /^(PATH|CGO_ENABLED|GO(OS|ARCH|PATH|BIN|FLAGS|PROXY|CACHE|MODCACHE)|PIP_.*|POETRY_.*|UV_.*|PIPENV_.*|npm_config_.*|NPM_CONFIG_.*|YARN_.*|PNPM_.*|DEBIAN_FRONTEND|CARGO_.*|RUSTUP_.*|RUSTFLAGS|MAVEN_.*|M2_HOME|GRADLE_.*|JAVA_HOME|DOTNET_CLI_.*|DOTNET_NOLOGO|DOTNET_SKIP_FIRST_TIME_EXPERIENCE|NUGET_.*|CC|CXX|CFLAGS|CXXFLAGS|LDFLAGS|VIRTUAL_ENV)$/.test(key);
}

/** The runtime ENV: in build mode the runtime stage carries the Dockerfile's ENV without build-only keys. */
function runtimeEnvOf(final: Stage, mode: 'build' | 'rebase', plan: Plan): Record<string, string> {
  const env = Object.fromEntries(Object.entries(final.config.env).filter(([k]) => mode === 'rebase' || !buildOnlyEnv(k)));
  for (const e of plan.env) env[e.key] = e.value;
  return env;
}

/** Shell syntax left in an exec-form argv: it would reach the program as literal text. */
const SHELL_SYNTAX = /[$`|;&<>*?]/;

/**
 * Why the app would not start the same program on a shell-less base, if it would not: an
 * ENTRYPOINT script whose work would be skipped, a launcher the strategy could not map, or
 * shell syntax (unset variables, operators, globs) still in the command after the strategy
 * resolved what it could (e.g. `target/*.jar` from pom.xml).
 */
function launchProblem(a: Analysis, plan: Plan): Refusal | undefined {
  const c = a.command;
  if (!c) return undefined;
  if (c.wrapperScript) return { cls: 'entrypoint-script', reason: c.problems.find((p) => p.includes(c.wrapperScript!)) ?? `ENTRYPOINT ${c.wrapperScript} is a shell script` };
  if (!plan.run) {
    if (c.problems[0]) return { cls: 'needs-shell', reason: c.problems[0] };
    return { cls: plan.runProblem?.cls ?? 'unmapped-command', reason: plan.runProblem?.reason ?? plan.warnings[0] ?? `\`${c.argv.join(' ')}\` cannot be mapped to the runtime` };
  }
  const args = plan.run.kind === 'interp' ? plan.run.args : plan.run.kind === 'exec' ? [...plan.run.entrypoint, ...plan.run.cmd] : [plan.run.dll, ...(plan.run.args ?? [])];
  if (c.problems.length && (c.several || args.some((x) => SHELL_SYNTAX.test(x) && !javaClasspathWildcard(args, x)))) return { cls: 'needs-shell', reason: c.problems[0]! };
  return undefined;
}

/** `-cp dir/*`: java expands a classpath wildcard itself, so it is not shell syntax. */
function javaClasspathWildcard(args: string[], x: string): boolean {
  const i = args.indexOf(x);
  return i > 0 && /^(-cp|-classpath|--class-path)$/.test(args[i - 1] ?? '') && !/[$`|;&<>?]/.test(x);
}

/**
 * Build mode: files the command names by absolute path outside what the strategy copies (a
 * `gunicorn -c /etc/gunicorn/conf.py`, a `-cp /opt/app.jar:/opt/deps/*` entry) are copied too,
 * when the final stage put them there (a COPY destination or a build output), so the runtime
 * can open them; the runtime's own files (the interpreter) are never copied.
 */
function referencedCopies(a: Analysis, plan: Plan): Plan['copies'] {
  const run = plan.run;
  if (!run) return [];
  const args = run.kind === 'interp' ? run.args : run.kind === 'exec' ? [...run.entrypoint, ...run.cmd] : [];
  const paths = args.filter((x) => !x.includes('://')).flatMap((x) => x.replace(/^--?[\w-]+=/, '').split(':')).map((x) => x.replace(/\/\*$/, '')).filter((x) => x.startsWith('/') && !/[*?$]/.test(x));
  const covered = (p: string) => plan.copies.some((c) => p === c.dst || p.startsWith(c.dst.replace(/\/?$/, '/')));
  const { outputs } = stageOutputs(a.final);
  const out: Plan['copies'] = [];
  for (const p of [...new Set(paths)]) {
    if (covered(p) || out.some((c) => c.dst === p)) continue;
    if (!outputs.some((o) => p === o.path || p.startsWith(o.path.replace(/\/?$/, '/')))) continue;
    out.push({ src: p, dst: p, reason: 'the command reads it (named in its arguments), and it is outside the copied app directory' });
  }
  return out;
}

/**
 * The last stage of a file with dev or test stages is not always what ships: when no --target
 * names it and it is called dev/test/devcontainer/…, say so and name the stage that looks like
 * the production one.
 */
function stageWarnings(model: DockerfileModel, final: Stage, target: string | undefined): string[] {
  if (target || !final.alias || !/^(dev|devel|develop|development|devcontainer|test|tests|testing|debug|lint|ci|e2e)$/i.test(final.alias)) return [];
  const prod = model.stages.find((s) => s !== final && /^(prod|production|release|runtime|final|app|run|runner|deploy|dist)$/i.test(s.alias ?? ''));
  return [`the last stage \`${final.alias}\` looks like a ${/test|lint|ci|e2e/i.test(final.alias) ? 'test' : 'development'} stage and was converted as the app${prod ? `; if \`${prod.alias}\` is what ships, convert with --target ${prod.alias}` : '; convert the stage that ships with --target STAGE'}`];
}

/** A refusal: its class and the reason printed. */
export interface Refusal {
  cls: RefusalClass;
  reason: string;
}

/**
 * Inputs that are not an app at all: a final stage that copies a builder's whole root filesystem
 * (`COPY --from=build / /`) is a base-image recipe, and converting it would bring the shell and
 * package manager back with it.
 */
function inputProblem(a: Analysis): Refusal | undefined {
  for (const i of a.final.instructions) {
    if (i.keyword !== 'COPY' || flagOf(i, 'from') === undefined) continue;
    const words = copyWords(i);
    if (words.slice(0, -1).some((src) => /^\/+(\.|\*)?\/*$/.test(src))) {
      return { cls: 'rootfs-copy', reason: `line ${i.line}: \`COPY --from=${flagOf(i, 'from')} ${i.args}\` copies the builder's whole root filesystem (its shell and package manager included): that is a base-image recipe, not an app; copy only the app's files from the builder` };
    }
  }
  return undefined;
}

/** Step 1: the facts every later step reads. */
function analyse(model: DockerfileModel, final: Stage, ctx: BuildContext, opts: ConvertOptions): Analysis {
  const finalIsDistroless = isDistrolessRef(final.baseImage, opts.basePrefix);
  const known = finalIsDistroless ? knownBaseOfRef(final.baseImage, opts.basePrefix) : { entrypoint: null };
  const command = resolveCommand(final, final.endVars, known.entrypoint);
  const stages = model.stages.slice(0, final.index + 1);
  const commands = stages.flatMap((stage) => stage.instructions.filter((i) => i.keyword === 'RUN').flatMap((instr) => runCommands(instr).map((cmd) => ({ stage, instr, cmd }))));
  return { file: model, ctx, opts, final, workdir: final.endWorkdir, vars: final.endVars, runs: classifyRuns(final), command, commands, finalIsDistroless };
}

/** Step 2: the language of what the final stage runs; a tie the command does not break is refused. */
function chooseLanguage(a: Analysis): { ok: true; language: Language } | ({ ok: false } & Refusal) {
  // The language is what the final stage runs: a Node stage that only builds assets does not make a Python app Node.
  const other = unsupportedRuntime(a.final.baseImage, a.command?.argv);
  if (other) return { ok: false, cls: 'unsupported-runtime', reason: `the final stage runs ${other}, which distill has no distroless runtime base for (it converts Node.js, Python, Go, Java, Rust, .NET and C/C++); nothing converted` };
  const ranking = scoreLanguages(a.file, a.ctx, a.command);
  const first = ranking[0];
  if (!first) return { ok: false, cls: 'unknown-language', reason: 'cannot tell which language this image runs (no known base image, build command or manifest file); nothing converted' };
  const cmdLang = a.command ? commandLanguage(a.command.argv) : null;
  if (cmdLang && cmdLang !== first.lang && ranking.some((r) => r.lang === cmdLang)) return { ok: true, language: cmdLang };
  // Without a command that names it, the final stage's own runtime image says what runs.
  const finalLang = imageLanguage(a.final.baseImage);
  if (!cmdLang && finalLang && ranking.some((r) => r.lang === finalLang)) return { ok: true, language: finalLang };
  const second = ranking[1];
  if (!cmdLang && second && second.score === first.score) {
    return { ok: false, cls: 'multi-language', reason: `multi-language: ${first.lang} and ${second.lang} weigh the same and the command does not say which runs; nothing converted` };
  }
  return { ok: true, language: first.lang };
}

function languageWarnings(a: Analysis, lang: Language): string[] {
  const interpreted = new Set<Language>(['node', 'python', 'java']);
  const finalLangs = new Set(a.runs.flatMap((r) => r.cmds.map((c) => commandLanguage(c.argv))).filter((l): l is Language => !!l && interpreted.has(l)));
  return [...finalLangs].filter((l) => l !== lang && interpreted.has(lang)).map((l) => `multi-language: the final stage also uses ${l}; the ${lang} runtime base will not have it (fine if ${l} only builds assets)`);
}

/** Step 3: a final stage that builds (or is built FROM another stage, whose files it inherits) becomes a builder. */
function chooseMode(a: Analysis): 'build' | 'rebase' {
  const argv = a.command?.argv ?? [];
  const toolchainCmd = (argv[0] === 'go' && argv[1] === 'run') || argv[0] === 'cargo' || argv[0] === 'mvn' || (argv[0] === 'dotnet' && argv[1] === 'run');
  return !a.final.parent && (a.finalIsDistroless || (!a.runs.some((r) => r.kind === 'build') && !toolchainCmd)) ? 'rebase' : 'build';
}

/** Step 4: the distroless base: the final stage's own when it already is one, else the provider's. */
function runtimeBase(a: Analysis, plan: Plan, lang: Language): { ok: true; base: BaseImage; warnings: string[] } | { ok: false; reason: string } {
  const opts = a.opts;
  const warnings: string[] = [];
  if (a.finalIsDistroless) {
    const ref = a.final.baseImage;
    const known = knownBaseOfRef(ref, opts.basePrefix);
    const base: BaseImage = { flavour: flavourOfRef(ref) ?? plan.flavour, ref, entrypoint: known.entrypoint, interpreter: known.interpreter, notes: [] };
    if (opts.debug && !/debug|latest-dev/.test(ref)) {
      const d = ref.replace(/:nonroot$/, ':debug-nonroot').replace(/:latest$/, ':latest-dev');
      if (d !== ref) base.ref = d;
    }
    return { ok: true, base, warnings };
  }
  const provider = opts.provider ?? 'google';
  const choice = chooseBase({ provider, flavour: plan.flavour, version: plan.version, debug: opts.debug, basePrefix: opts.basePrefix });
  if (!choice.ok) return { ok: false, reason: choice.reason };
  const base = choice.base;
  if (choice.versionNote) warnings.push(choice.versionNote);
  if (base.noDebug) warnings.push(`--debug: ${provider} has no debug variant; the normal image is used`);
  if (lang === 'python' && plan.version && base.version && plan.version !== base.version) {
    warnings.push(`the builder uses Python ${plan.version} but ${base.ref} runs Python ${base.version}: compiled wheels and the standard library may differ — build with python:${base.version}`);
  }
  // A local base from `distill base` carries its Debian release's Python: 3.11 on 12, 3.13 on 13.
  // Any other builder minor cannot match it, whichever release the base was built from.
  if (lang === 'python' && opts.basePrefix && plan.version && !['3.11', '3.13'].includes(plan.version) && !Object.keys(opts.builderImages ?? {}).length) {
    warnings.push(`the builder uses Python ${plan.version} but ${base.ref} (from distill base) runs its Debian release's Python, 3.11 on Debian 12 or 3.13 on Debian 13: compiled wheels and the standard library may differ — build with the same minor (python:3.11 or python:3.13, or --builder-image)`);
  }
  return { ok: true, base, warnings };
}

/** A binary linked against a newer glibc than the base's fails to start (symbol versions). */
function glibcWarnings(a: Analysis, mode: 'build' | 'rebase', base: BaseImage): string[] {
  if (base.flavour !== 'base' && base.flavour !== 'cc') return [];
  const builders = mode === 'build' ? a.file.stages : a.file.stages.filter((st) => st !== a.final);
  const newest = builders.map((st) => glibcOf(st.baseImage)).filter((v): v is number => v !== undefined).sort((x, y) => y - x)[0];
  const have = glibcOf(base.ref);
  return newest !== undefined && have !== undefined && newest > have ? [`the build runs on glibc 2.${newest} but ${base.ref} has glibc 2.${have}: dynamically linked binaries may not start — build on an older release or link statically`] : [];
}

/** glibc minor version of an image by its distribution release, when the name or tag says it. */
function glibcOf(ref: string): number | undefined {
  const { name, tag } = splitImage(ref);
  const t = `${name.split('/').pop()}:${tag ?? ''}`;
  const table: [RegExp, number][] = [
    [/bullseye|debian11|^debian:11/, 31], [/bookworm|debian12|^debian:12/, 36], [/trixie|debian13|^debian:13/, 41],
    [/focal|^ubuntu:20\.04/, 31], [/jammy|^ubuntu:22\.04/, 35], [/noble|^ubuntu:24\.04/, 39], [/ubi9|ubi-micro:9/, 34], [/ubi8|ubi-micro:8/, 28],
  ];
  for (const [re, v] of table) if (re.test(t) || re.test(ref)) return v;
  return undefined;
}

const DEFAULT_INTERPRETER: Partial<Record<Language, string>> = { node: 'node', python: 'python3', java: 'java' };

/**
 * Step 5, shared by convert and build: the run spec fitted to a base's own ENTRYPOINT. An
 * interpreter run whose argv starts with the base's ENTRYPOINT keeps that ENTRYPOINT and puts the
 * rest in CMD (so `docker run IMAGE other.js` works as on the original); otherwise ENTRYPOINT is
 * the interpreter by the base's path.
 */
export function fitLaunch(run: RunSpec | null, base: { entrypoint: string[] | null; interpreter?: string }, lang: Language): Launch {
  if (!run) return { entrypoint: null, cmd: null };
  if (run.kind === 'exec') return { entrypoint: run.entrypoint, cmd: run.cmd };
  if (run.kind === 'dotnet') return { entrypoint: ['dotnet', run.dll, ...(run.args ?? [])], cmd: null };
  const interp = base.interpreter ?? DEFAULT_INTERPRETER[lang] ?? lang;
  const want = [interp, ...run.args];
  if (base.entrypoint && base.entrypoint.every((x, k) => want[k] === x)) return { entrypoint: null, cmd: want.slice(base.entrypoint.length) };
  return { entrypoint: [interp], cmd: run.args };
}
