/**
 * The run plan as users see it (`distill plan`): one plain object with a stable shape
 * (docs/commands/plan.md) saying which Dockerfile and stage it comes from, the language, the base,
 * the WORKDIR, the ENTRYPOINT/CMD fitted to that base and the argv they make, ENV, EXPOSE and where
 * `distill build` places the artefact. Nothing here plans anything: it asks `planDockerfile`,
 * with the options `distill build` uses (or `distill convert`'s, given a provider or a prefix).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseDockerfile, targetStage } from '../dockerfile/parse.ts';
import type { Stage } from '../dockerfile/model.ts';
import { DistillError } from '../util/errors.ts';
import { appDockerfile, artefactPath, RUNTIME_OF, type AppRuntime } from './app.ts';
import { fitLaunch, planDockerfile } from './index.ts';
import { chooseBase, type Flavour, type Provider } from './providers.ts';
import type { Language } from './types.ts';

/** The prefix `distill build` plans with: its own bases, whose entrypoints are known exactly. */
const BUILD_PREFIX = 'distill';

export interface DescribeOptions {
  /** The Dockerfile to plan from (default APPDIR/Dockerfile, then APPDIR/Containerfile). */
  dockerfile?: string;
  /** The stage (name or index) that is the app, instead of the last one. */
  target?: string;
  /** Plan for this provider's images, as `distill convert --provider` does. */
  provider?: Provider;
  /** Plan for PREFIX/<flavour>:nonroot, as `distill convert --base-prefix` does. */
  basePrefix?: string;
}

/** The stage the plan reads: its index, its name (null when unnamed) and its FROM image. */
export interface PlanStage {
  index: number;
  name: string | null;
  from: string;
}

/**
 * Where the base comes from: `distill` the flavour `distill base` builds into the cache (what
 * `distill build` uses when no base is named; no image name), `provider` a provider's image,
 * `prefix` a `--base-prefix` image, `dockerfile` the final stage's own distroless FROM.
 */
export type BaseSource = 'distill' | 'provider' | 'prefix' | 'dockerfile';

/** The run plan of an app, as `distill plan --json` prints it. */
export type PlanDescription =
  | {
      status: 'planned';
      dockerfile: string;
      stage: PlanStage;
      language: Language;
      buildTool: string;
      /** The runtime `distill build` builds the app with. */
      runtime: AppRuntime;
      /** Runtime version the Dockerfile's images name (node major, python x.y, java major), or null. */
      version: string | null;
      /** build: a runtime stage takes the builder's artefacts; rebase: the final stage's FROM is swapped. */
      mode: 'build' | 'rebase';
      base: { flavour: Flavour; image: string | null; source: BaseSource; provider: Provider | null; entrypoint: string[] | null };
      workdir: string;
      /** ENTRYPOINT (null: the base's own) and CMD as written into the image, and the argv they start (null: none named). */
      launch: { entrypoint: string[] | null; cmd: string[] | null; argv: string[] | null };
      env: Record<string, string>;
      ports: string[];
      /** Absolute path where the launch expects the built binary or jar; null when the app directory itself is the artefact. */
      artefact: string | null;
      warnings: string[];
    }
  | { status: 'refused'; reason: string; dockerfile: string; stage: PlanStage; language: Language | 'unknown'; buildTool: string; warnings: string[] };

/** Plans the app in `appDir` from its Dockerfile and describes the plan; DistillError (exit 2) on bad input. */
export function describePlan(appDir: string, opts: DescribeOptions = {}): PlanDescription {
  const dockerfile = opts.dockerfile ?? findDockerfile(appDir);
  const text = readDockerfile(dockerfile);
  const stage = chosenStage(dockerfile, text, opts.target);
  const convertLike = opts.provider !== undefined || opts.basePrefix !== undefined;
  let p;
  try {
    p = planDockerfile(text, { context: appDir, ...(convertLike ? { provider: opts.provider, basePrefix: opts.basePrefix } : { basePrefix: BUILD_PREFIX }), ...(opts.target ? { target: opts.target } : {}) });
  } catch (e) {
    // planDockerfile tells bad input with a plain Error; anything else is a bug and stays one.
    if (e instanceof Error && e.constructor === Error) throw new DistillError(dockerfile, e.message, { code: 'E_INPUT' });
    throw e;
  }
  if (p.status === 'refused') return { status: 'refused', reason: p.reason, dockerfile, stage, language: p.language, buildTool: p.buildTool, warnings: p.warnings.filter((w) => w !== p.reason) };

  const run = p.strategy.run;
  let base = p.base;
  let source: BaseSource = p.analysis.finalIsDistroless ? 'dockerfile' : opts.basePrefix !== undefined ? 'prefix' : 'provider';
  let launch = p.launch;
  if (!convertLike) {
    // build runs on the flavour distill builds, whatever the FROM says, and fits the launch to it.
    const own = chooseBase({ provider: 'google', flavour: p.base.flavour, basePrefix: BUILD_PREFIX });
    if (own.ok) base = own.base;
    source = 'distill';
    launch = fitLaunch(run, base, p.language);
  }
  return {
    status: 'planned', dockerfile, stage, language: p.language, buildTool: p.strategy.buildTool, runtime: RUNTIME_OF[p.language], version: p.strategy.version ?? null, mode: p.mode,
    base: { flavour: base.flavour, image: source === 'distill' ? null : base.ref, source, provider: source === 'provider' ? (opts.provider ?? 'google') : null, entrypoint: base.entrypoint },
    workdir: p.workdir, launch: { ...launch, argv: run ? effectiveArgv(launch, base.entrypoint) : null }, env: p.env, ports: p.ports,
    artefact: run ? artefactPath(run, p.workdir) : null, warnings: p.warnings,
  };
}

/** The argv the container starts: ENTRYPOINT (the image's, else the base's) followed by CMD. */
export function effectiveArgv(launch: { entrypoint: string[] | null; cmd: string[] | null }, baseEntrypoint: string[] | null): string[] | null {
  const argv = [...(launch.entrypoint ?? baseEntrypoint ?? []), ...(launch.cmd ?? [])];
  return argv.length ? argv : null;
}

/** APPDIR's Dockerfile or Containerfile; a DistillError when the directory or the file is missing. */
function findDockerfile(appDir: string): string {
  if (!existsSync(appDir) || !statSync(appDir).isDirectory()) throw new DistillError(appDir, 'not a directory', { code: 'E_NOT_FOUND' });
  const found = appDockerfile(appDir);
  if (found) return found;
  throw new DistillError(
    appDir,
    `no Dockerfile or Containerfile to plan from (--dockerfile names another file); distill build would detect the app from package.json, requirements.txt, pyproject.toml, go.mod, pom.xml, Cargo.toml, *.csproj or a single executable instead`,
    { code: 'E_NOT_FOUND' },
  );
}

function readDockerfile(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    throw new DistillError(file, `cannot read: ${errno ?? (e as Error).message}`, { code: errno === 'ENOENT' || errno === 'ENOTDIR' ? 'E_NOT_FOUND' : 'E_INPUT' });
  }
}

/** The stage the plan is for, checked before planning so that each failure has its own code. */
function chosenStage(file: string, text: string, target: string | undefined): PlanStage {
  const model = parseDockerfile(text);
  if (!model.stages.length) throw new DistillError(file, 'no FROM instruction: not a Dockerfile', { code: 'E_INPUT' });
  const stage: Stage | null = targetStage(model, target);
  if (!stage) throw new DistillError(file, `--target ${target}: no such stage (stages: ${model.stages.map((s) => s.alias ?? String(s.index)).join(', ')})`, { code: 'E_NOT_FOUND' });
  return { index: stage.index, name: stage.alias, from: stage.resolvedImage };
}
