/**
 * `buildApp`: an app image without a daemon, as ko and jib do it. Detect the runtime, run its
 * build on the host (or take an artefact), write dependency and app layers apart, and put them
 * on a base (`--base REF`, `DIR/<flavour>` from `distill base`, else the flavour's base built
 * once into the cache) with USER 65532 (or the Dockerfile's non-root USER, as convert keeps it), WORKDIR /app, an entrypoint that fits the base, ports,
 * env, labels and OCI annotations. Reproducible: times come from SOURCE_DATE_EPOCH and every
 * layer is written in a fixed order.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Image } from '../oci/image.ts';
import { openImage } from '../oci/reference.ts';
import { annotate, appendLayers, reproducibleTime, setConfig, setCreated } from '../mutate/mutate.ts';
import { DistillError } from '../util/errors.ts';
import { assembleLayers, APP_UID, type BuiltLayer } from './assemble.ts';
import { choosePackages, debianProviders, missingOnBase, type MissingLibrary, type Tailoring } from './tailor.ts';
import { RUNTIMES, type BaseFlavour, type BuildContext, type BuildPlan, type DepsOptions, type Runtime } from './common.ts';
import { detectRuntime } from './detect.ts';
import { baseInterpreter, planApp } from '../plan/app.ts';
import { fitLaunch } from '../plan/index.ts';
import { chooseFlavour, LIBC_FLAVOURS, viewOfSources, type FlavourChoice } from '../needs/flavour.ts';
import { analyzeNeeds, type CollectedView } from '../needs/index.ts';
import type { Flavour } from '../plan/providers.ts';
import { planDotnet } from './dotnet.ts';
import { planGo } from './go.ts';
import { planJava } from './java.ts';
import { planNode } from './node.ts';
import { planPython } from './python.ts';
import { planRust } from './rust.ts';
import { planStatic } from './static.ts';

export { RUNTIMES, type Runtime, type BaseFlavour } from './common.ts';
export { detectRuntime, readElf } from './detect.ts';
export type { BuiltLayer } from './assemble.ts';

const PLANNERS: Record<Runtime, (ctx: BuildContext) => Promise<BuildPlan>> = {
  node: planNode,
  python: planPython,
  go: planGo,
  java: planJava,
  rust: planRust,
  dotnet: planDotnet,
  static: planStatic,
};

export interface BuildOptions {
  appDir: string;
  runtime?: Runtime;
  /** Prebuilt artefact: binary, jar, wheelhouse dir, published dir, dir with node_modules. */
  artifact?: string;
  /** Base image reference (any transport). */
  base?: string;
  /** Directory of `distill base` layouts, one per flavour (DIR/nodejs, DIR/static, …). */
  baseDir?: string;
  /** Tag of the base layouts in baseDir (default nonroot). */
  baseTag?: string;
  /** Node.js major of the nodejs base built into the cache when no base is named (default: `distill base nodejs`'s). */
  nodeMajor?: string;
  /** The Dockerfile stage to plan from (name or index; default the last). */
  target?: string;
  /** Progress of a base being built into the cache (default: onProgress); the CLI shows it off a TTY too. */
  onBaseProgress?: (msg: string) => void;
  env?: Record<string, string>;
  ports?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  cmd?: string[];
  entrypoint?: string[];
  /** Directories (under /app when relative) created writable by the runtime uid. */
  writable?: string[];
  /** linux/amd64 style. */
  platform?: string;
  /** Progress lines (a TTY spinner in the CLI). */
  onProgress?: (msg: string) => void;
  /** Environment for SOURCE_DATE_EPOCH (default process.env). */
  sourceEnv?: NodeJS.ProcessEnv;
  /** Dependency installs: index, source builds, offline (src/assemble/common.ts). */
  deps?: DepsOptions;
}

export interface BuildResult {
  image: Image;
  runtime: Runtime;
  flavour: BaseFlavour;
  base: string;
  /** Where the base came from: --base, --base-dir, the cache, or built into the cache by this build. */
  baseSource: BaseSource;
  /** The cache entry of a cached base (source cache or built). */
  baseCache?: { dir: string; lock: string };
  baseDigest: string;
  layers: BuiltLayer[];
  steps: string[];
  warnings: string[];
  /** For binaries: the closure's flavour choice, each need with the file that has it (for --explain). */
  closure?: FlavourChoice;
  /** Set when distill added packages to its own base for libraries the app's ELF files need (each with its reason). */
  tailoring?: Tailoring;
  /** Removes the scratch dir holding the new layers; call after writing the image. */
  cleanup(): void;
}

function git(dir: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Where a build's base came from: --base, a --base-dir layout, the cache, or built into the cache by this build. */
export type BaseSource = 'given' | 'base-dir' | 'cache' | 'built';

/** The base a build uses, where it came from, and (for a cached base) its cache entry. */
export interface BaseChoice {
  ref: string;
  source: BaseSource;
  cache?: { dir: string; lock: string };
  /** Warnings of the apt client while the base was built. */
  warnings: string[];
}

/** The base `--base` or `--base-dir` (or DISTILL_BASE_DIR) names, DIR/<flavour>:TAG; undefined when neither is set. */
export function baseRefFor(flavour: BaseFlavour, opts: Pick<BuildOptions, 'base' | 'baseDir' | 'baseTag'>): string | undefined {
  if (opts.base) return opts.base;
  const dir = opts.baseDir ?? process.env.DISTILL_BASE_DIR;
  if (!dir) return undefined;
  const layout = resolve(dir, flavour);
  if (!existsSync(join(layout, 'index.json'))) {
    throw new DistillError(layout, `no OCI layout for the ${flavour} base; build it with: distill base ${flavour} -o ${layout}`);
  }
  return `oci:${layout}:${opts.baseTag ?? 'nonroot'}`;
}

/** The base of a build: the one given, else DIR/<flavour>, else the flavour's distroless base from the cache (built into it the first time). */
export async function chooseBase(
  flavour: BaseFlavour,
  opts: Pick<BuildOptions, 'base' | 'baseDir' | 'baseTag' | 'nodeMajor' | 'onProgress' | 'onBaseProgress'> & { add?: string[] },
): Promise<BaseChoice> {
  const named = baseRefFor(flavour, opts);
  if (named) return { ref: named, source: opts.base ? 'given' : 'base-dir', warnings: [] };
  // Loaded only here: the apt client and OpenPGP are not needed when a base is given.
  const { ensureBase } = await import('../base/cached.ts');
  const warnings: string[] = [];
  const b = await ensureBase({
    flavour,
    ...(flavour === 'nodejs' && opts.nodeMajor ? { node: opts.nodeMajor } : {}),
    ...(opts.add?.length ? { add: opts.add } : {}),
    onProgress: opts.onBaseProgress ?? opts.onProgress,
    onWarning: (w) => warnings.push(w),
  });
  return { ref: b.ref, source: b.built ? 'built' : 'cache', cache: { dir: b.dir, lock: b.lock }, warnings };
}

/** The `distill base` flavour a plan's runtime base maps to (.NET runs self-contained on cc). */
export function baseFlavourOf(f: Flavour): BaseFlavour {
  return f === 'dotnet' || f === 'aspnet' ? 'cc' : f;
}

const LIBC_ORDER: BaseFlavour[] = ['static', 'base', 'cc'];

/**
 * The base flavour to build on: the plan's (what Dockerfile.distroless uses), unless the binary
 * built here needs more of libc than that flavour has (a dynamic binary on static would not start).
 */
function buildFlavour(planned: Flavour, built: BaseFlavour): BaseFlavour {
  const want = baseFlavourOf(planned);
  const a = LIBC_ORDER.indexOf(want);
  const b = LIBC_ORDER.indexOf(built);
  return a >= 0 && b > a ? built : want;
}
/**
 * For a binary's plan (static, base or cc), the smallest flavour its closure needs: the ELF files
 * of its layers resolved against themselves (src/needs), each need left over mapped to the flavour
 * that provides it. Undefined for interpreter flavours (node, python, java), whose base decides.
 */
function closureFlavour(plan: BuildPlan, app: CollectedView): FlavourChoice | undefined {
  if (!(LIBC_FLAVOURS as readonly string[]).includes(plan.flavour)) return undefined;
  const report = analyzeNeeds(app, 'build');
  return report.files.length ? chooseFlavour(report) : undefined;
}

/** Whether the base's entrypoint already runs the interpreter the plan needs. */
function fitsBase(plan: BuildPlan, entrypoint: string[] | null | undefined): boolean {
  if (!plan.interpreter || !entrypoint?.length) return false;
  if (!plan.interpreter.test(entrypoint[0]!)) return false;
  // java -jar: the base must already pass -jar for CMD ["/app/app.jar"] to be enough.
  return plan.runtime !== 'java' || entrypoint.includes('-jar');
}

/**
 * The base to build on, and what it lacks: the app's ELF files are resolved against the chosen
 * base; libraries it lacks are looked up in the Debian Contents index and, when the base is
 * distill's own (from the cache), added to it as packages (a tailored base, cached apart). A
 * base the user named is used as given, with a warning naming the packages to add.
 */
async function tailoredBase(
  plan: BuildPlan,
  app: CollectedView,
  flavour: BaseFlavour,
  opts: Parameters<typeof chooseBase>[1],
  platform: string,
  log: (msg: string) => void,
): Promise<{ chosen: BaseChoice; base: Image; tailoring?: Tailoring }> {
  let chosen = await chooseBase(flavour, opts);
  log(`base ${chosen.ref}`);
  let base = await openImage(chosen.ref, { platform });
  const missing = await missingOnBase(app, plan.env, base);
  if (!missing.length) return { chosen, base };
  const names = (ms: MissingLibrary[]) => ms.map((m) => `${m.soname} (${m.files.join(', ')})`).join(', ');
  let tailoring: Tailoring;
  try {
    tailoring = choosePackages(missing, await debianProviders(missing.map((m) => m.soname)));
  } catch (e) {
    plan.warnings.push(`the base lacks ${names(missing)}, and the Debian Contents index that names their packages could not be read: ${(e as Error).message}`);
    return { chosen, base };
  }
  const pkgs = tailoring.added.map((a) => a.package);
  if (tailoring.unprovided.length) plan.warnings.push(`no Debian package ships ${names(tailoring.unprovided)}: bundle it with the app or link it statically`);
  if (!pkgs.length) return { chosen, base };
  if (chosen.source !== 'cache' && chosen.source !== 'built') {
    plan.warnings.push(`the base ${chosen.ref} lacks ${names(missing.filter((m) => !tailoring.unprovided.includes(m)))}: add ${pkgs.join(', ')} (distill base ${flavour} --add ${pkgs.join(' --add ')}), or build without --base to let distill add them`);
    return { chosen, base };
  }
  log(`adding ${pkgs.join(', ')} to the ${flavour} base for ${tailoring.added.flatMap((a) => a.sonames).join(', ')}`);
  chosen = await chooseBase(flavour, { ...opts, add: pkgs });
  base = await openImage(chosen.ref, { platform });
  const still = await missingOnBase(app, plan.env, base);
  const left = still.filter((m) => !tailoring.unprovided.some((u) => u.soname === m.soname));
  if (left.length) plan.warnings.push(`the tailored base still lacks ${names(left)}`);
  return { chosen, base, tailoring };
}

/** Builds an app image; call `cleanup()` on the result after writing it. */
export async function buildApp(opts: BuildOptions): Promise<BuildResult> {
  const appDir = resolve(opts.appDir);
  if (!existsSync(appDir) || !statSync(appDir).isDirectory()) throw new DistillError(opts.appDir, 'not a directory');
  const artifact = opts.artifact ? resolve(opts.artifact) : undefined;
  if (artifact && !existsSync(artifact)) throw new DistillError(opts.artifact!, 'no such file or directory');
  if (opts.runtime && !RUNTIMES.includes(opts.runtime)) throw new DistillError(`--runtime ${opts.runtime}`, `unknown runtime; choose from ${RUNTIMES.join(', ')}`);
  const platform = opts.platform ?? 'linux/amd64';
  const [os, arch] = platform.split('/');
  if (os !== 'linux' || !arch) throw new DistillError(`--platform ${platform}`, 'expected linux/ARCH');
  const log = opts.onProgress ?? (() => undefined);
  // The run plan from the app's Dockerfile, the one convert renders: how the app starts and where it lives.
  const appPlan = planApp(appDir, opts.target ? { target: opts.target } : {});
  const runtime = opts.runtime ?? appPlan?.runtime ?? detectRuntime(appDir, artifact);
  const planned = appPlan !== null && appPlan.runtime === runtime;
  // A Dockerfile that leaves WORKDIR at / still gets its app in a directory of its own, never spread over /.
  const workdir = planned && appPlan.workdir !== '/' ? appPlan.workdir : '/app';
  const keepBaseWorkdir = planned && appPlan.workdir === '/' && appPlan.run?.kind === 'exec' && (appPlan.run.entrypoint[0] ?? appPlan.run.cmd[0] ?? '').startsWith('/');
  const work = mkdtempSync(join(tmpdir(), 'distill-build-'));
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  try {
    log(`${runtime}: building`);
    const run = planned ? appPlan.run : null;
    const ctx: BuildContext = { appDir, artifact, work, arch, log, workdir, planned: run !== null, fromDockerfile: planned, ...(opts.deps ? { deps: opts.deps } : {}), ...(planned && appPlan.artefact ? { artefact: appPlan.artefact } : {}) };
    const plan = await PLANNERS[runtime](ctx);
    // The build's layers as the image will hold them, read once for the flavour choice and the base check.
    const app = await viewOfSources(plan.layers.flatMap((l) => l.sources).filter((s) => existsSync(s.src)));
    const closure = closureFlavour(plan, app);
    if (closure) plan.flavour = closure.flavour;
    const flavour = planned ? buildFlavour(appPlan.flavour, plan.flavour) : plan.flavour;
    const baseOpts = { ...opts, ...(planned && appPlan.language === 'node' && appPlan.version && !opts.nodeMajor ? { nodeMajor: appPlan.version } : {}) };
    const { chosen, base, tailoring } = await tailoredBase(plan, app, flavour, baseOpts, platform, log);
    const baseRef = chosen.ref;
    const baseConfig = await base.config();
    if (baseConfig.architecture && baseConfig.architecture !== arch) {
      throw new DistillError(baseRef, `base is linux/${baseConfig.architecture}, not ${platform}`);
    }
    const env = opts.sourceEnv ?? process.env;
    const when = reproducibleTime(env);
    log('writing layers');
    // The runtime user convert writes for this Dockerfile (the author's non-root USER kept), so both agree.
    const user = planned ? appPlan.user : `${APP_UID}:${APP_UID}`;
    const layers = await assembleLayers(plan.layers, work, when, opts.writable, Number.parseInt(user, 10));
    const iso = when.toISOString().replace(/\.000Z$/, 'Z');
    let image = appendLayers(
      base,
      ...layers.map((l) => ({ layer: l.layer, history: { created: iso, created_by: `distill build: ${l.name} (${l.holds})`, comment: 'distill' } })),
    );
    const baseEntry = baseConfig.config?.Entrypoint;
    let entrypoint: string[] | undefined;
    let cmd: string[];
    if (opts.entrypoint) {
      entrypoint = opts.entrypoint;
      cmd = opts.cmd ?? [];
    } else if (planned && run) {
      // The same fit convert uses, on the base actually used.
      const launch = fitLaunch(run, { entrypoint: baseEntry ?? null, interpreter: baseInterpreter(baseEntry, appPlan.language) }, appPlan.language);
      if (launch.entrypoint) entrypoint = launch.entrypoint;
      cmd = opts.cmd ?? launch.cmd ?? [];
    } else if (plan.interpreter) {
      if (fitsBase(plan, baseEntry)) cmd = opts.cmd ?? plan.cmd;
      else {
        entrypoint = plan.entrypoint;
        cmd = opts.cmd ?? plan.cmd;
      }
    } else {
      entrypoint = plan.entrypoint;
      cmd = opts.cmd ?? plan.cmd;
    }
    const revision = git(appDir, ['rev-parse', 'HEAD']);
    const remote = git(appDir, ['config', '--get', 'remote.origin.url']);
    const source = remote && !/\/\/[^/]*@/.test(remote) ? remote : undefined;
    const baseDigest = await base.digest();
    const oci: Record<string, string> = {
      'org.opencontainers.image.created': iso,
      'org.opencontainers.image.base.digest': baseDigest,
      ...(/^(oci|oci-archive|docker-archive|podman|docker):/.test(baseRef) ? {} : { 'org.opencontainers.image.base.name': baseRef.replace(/^docker:\/\//, '') }),
      ...(source ? { 'org.opencontainers.image.source': source } : {}),
      ...(revision ? { 'org.opencontainers.image.revision': revision } : {}),
      ...(opts.annotations ?? {}),
    };
    image = setConfig(image, {
      user,
      // A binary run by its absolute path from a Dockerfile without WORKDIR runs in the base's, as in Dockerfile.distroless.
      ...(keepBaseWorkdir ? {} : { workdir }),
      ...(entrypoint ? { entrypoint } : {}),
      cmd,
      env: { ...(planned ? appPlan.env : (plan.env ?? {})), ...(opts.env ?? {}) },
      exposedPorts: opts.ports?.length ? opts.ports : planned ? appPlan.ports : (plan.ports ?? ['8080']),
      labels: { ...oci, ...(opts.labels ?? {}) },
    });
    image = setCreated(image, when);
    image = annotate(image, oci);
    const baseFrom = { baseSource: chosen.source, ...(chosen.cache ? { baseCache: chosen.cache } : {}) };
    return { image, runtime, flavour, base: baseRef, ...baseFrom, baseDigest, layers, steps: plan.steps, warnings: [...plan.warnings, ...chosen.warnings], ...(closure ? { closure } : {}), ...(tailoring ? { tailoring } : {}), cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
