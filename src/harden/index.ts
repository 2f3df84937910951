/**
 * `distill harden APPDIR`: the main job, end to end on one app (Node.js, Python, Go, Java or
 * Rust). Lint its traditional Dockerfile, write the converted one, build the traditional image
 * (assembled from Debian packages, as `FROM node:22`, `python:3`, `golang:1`,
 * `eclipse-temurin:17` or `rust:1` would give) and the distroless one (`distill base` +
 * `distill build`), run both for real with the hardening flags, compare them, and write
 * report.html.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildBase } from '../base/build.ts';
import { baseFlavourOf, buildApp, type Runtime } from '../assemble/index.ts';
import { planApp } from '../plan/app.ts';
import { writeFileAtomicSync } from '../util/files.ts';
import { convertDockerfile, type ConvertResult } from '../dockerfile/convert/index.ts';
import { lintFile, type Finding } from '../dockerfile/lint.ts';
import { writeLayout } from '../oci/transports/layout.ts';
import { compareImages, type Comparison } from '../report/compare.ts';
import { renderReport } from '../report/html.ts';
import { detectEngine, type Engine } from '../runtime/engine.ts';
import { verifyImage, type VerifyResult } from '../runtime/verify.ts';
import { DistillError } from '../util/errors.ts';
import { parseDockerfile, targetStage } from '../dockerfile/parse.ts';
import { buildTraditional, TRADITIONAL_RUNTIMES, type TraditionalRuntime } from './traditional.ts';
import { engineBuild, fileDigest, givenBefore, type Provenance } from './before.ts';
import { imageDifferences, pointFromAt } from './after.ts';
import { openImage, writeImage } from '../oci/reference.ts';
import { detectRuntime } from '../assemble/detect.ts';
import { resolveOsvSource, type DownloadProgress } from '../vuln/source.ts';
import { describeProblem, toolchainFacts, toolchainProblems } from './toolchain.ts';
import type { Image } from '../oci/image.ts';
import type { BaseFlavour, DepsOptions } from '../assemble/common.ts';

export interface HardenOptions {
  appDir: string;
  /** The same overrides `distill build` takes, applied to the distroless image. */
  runtime?: Runtime;
  /** Prebuilt binary, jar, wheelhouse or published dir for the distroless image (as build --artifact). */
  artifact?: string;
  cmd?: string[];
  entrypoint?: string[];
  ports?: string[];
  /** Where everything is written (default ./distill-out/<app>). */
  out?: string;
  /** Node.js major for both images (default 22, as the example's FROM node:22). */
  nodeMajor?: string;
  /** Run both images with podman/docker (default: when one is installed). */
  verify?: boolean;
  /** OSV database for CVE counts (default: the cache's, fetched for what the images contain). */
  dbDir?: string;
  /** Never touch the network for CVE data: count with the DB as it is (also DISTILL_OFFLINE=1). */
  offline?: boolean;
  /** Where dependencies come from (pip index, sdists, --offline), as for distill build. */
  deps?: DepsOptions;
  /** Progress of the OSV download, when one happens. */
  onDbProgress?: (p: DownloadProgress) => void;
  /** The image the user ships today (any reference distill reads): the before image, as given. */
  before?: string;
  /** The Dockerfile stage the engine builds for the before image. */
  target?: string;
  /** Refuse (exit 2) rather than compare against a simulated before image. */
  requireReal?: boolean;
  /** Build the app's Dockerfile with the engine for the before image (default: when one is installed). */
  engineBuild?: boolean;
  /** More images for the table (`[LABEL=]REF`, e.g. `alpine=podman:app:alpine`), each as given. */
  also?: string[];
  /** Each step line of the engine's build output (`STEP 2/5: RUN npm ci`). */
  onBuildStep?: (line: string) => void;
  /** A problem that may not stop the job (a toolchain that may be too old), said once. */
  onWarning?: (msg: string) => void;
  /** Step reporting: index from 1, total, message. */
  onStep?: (i: number, total: number, msg: string) => void;
}

export interface HardenResult {
  appDir: string;
  out: string;
  lint: { file: string; findings: Finding[] };
  convert: ConvertResult & { file: string };
  /** Each image by its label: traditional, distroless, then the --also ones. */
  images: { traditional: string; distroless: string } & Record<string, string>;
  /**
   * The engine-built Dockerfile.distroless checked against distill build's image: `differences`
   * (empty when they agree) or why it could not be built (`skipped`).
   */
  after: { differences: string[] } | { skipped: string };
  /** Where each image came from: given, built by an engine, built by distill, or simulated. */
  provenance: { traditional: Provenance; distroless: Provenance } & Record<string, Provenance>;
  /** Each image's verification, by its label. */
  verify: { byLabel: Record<string, VerifyResult> } | { skipped: string };
  comparison: Comparison;
  report: string;
  summary: string;
}

const STEPS = 8;

/** The distroless base each runtime builds on when the app has no Dockerfile plan to say. */
const FLAVOUR: Record<TraditionalRuntime, BaseFlavour> = { node: 'nodejs', python: 'python3', go: 'static', java: 'java', rust: 'cc' };

/**
 * The last stage's CMD (shell form run by /bin/sh -c, as Docker does) for the traditional image,
 * and the URL its HEALTHCHECK curls for the HTTP probe of both images. Without a HEALTHCHECK there
 * is no probe: guessing a path would fail apps that serve none, and a failed guess is a false claim.
 */
export function fromDockerfile(text: string, target?: string): { cmd?: string[]; probe?: string } {
  // The model resolves what the final stage inherits: a CMD or HEALTHCHECK set in a parent stage counts.
  const final = targetStage(parseDockerfile(text), target);
  const c = final?.config.cmd;
  const cmd = c ? (c.exec ?? ['/bin/sh', '-c', c.args]) : undefined;
  const hc = final?.config.healthcheck;
  const m = hc ? /https?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(:\d+)?(\/[^\s"'|;&]*)?/.exec(hc.args) : null;
  return { ...(cmd ? { cmd } : {}), ...(m ? { probe: `http://127.0.0.1${m[1] ?? ''}${m[2] ?? '/'}` } : {}) };
}

/** What every step needs: the app, its plan, where output goes, and the engine if any. */
interface Job {
  appDir: string;
  dockerfile: string;
  text: string;
  /** The converted Dockerfile (convert is pure: done up front, written at step 2). */
  conv: ConvertResult;
  runtime: TraditionalRuntime;
  flavour: BaseFlavour;
  cmd?: string[];
  probe?: string;
  name: string;
  out: string;
  layout: string;
  engine?: Engine;
  nodeMajor: string;
  also: AlsoImage[];
  step: (i: number, msg: string) => void;
}

/** An extra image for the table (`--also [LABEL=]REF`). */
export interface AlsoImage {
  label: string;
  reference: string;
}

const RESERVED_LABELS = new Set(['traditional', 'distroless']);

/** `alpine=podman:app:alpine` or a bare reference (labelled by its last name component). */
export function parseAlso(arg: string): AlsoImage {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,40})=(.+)$/.exec(arg);
  const reference = m ? m[2]! : arg;
  const label = m ? m[1]! : (/([^/:@]+)(?::([^/:@]+))?$/.exec(reference.replace(/^[a-z-]+:/, '')) ?? [])[0] ?? reference;
  if (!reference) throw new DistillError(`--also ${arg}`, 'name an image: --also [LABEL=]REF', { code: 'E_USAGE' });
  return { label, reference };
}

/** Labels that are unique and not harden's own; a clash is a usage error naming it. */
function checkLabels(also: AlsoImage[]): void {
  const seen = new Set(RESERVED_LABELS);
  for (const a of also) {
    if (seen.has(a.label)) throw new DistillError(`--also ${a.label}=${a.reference}`, `the label "${a.label}" is already used: give another with --also LABEL=REF`, { code: 'E_USAGE' });
    seen.add(a.label);
  }
}

/** Validates the app and reads its plan; no image is built before this passes. */
async function prepare(opts: HardenOptions): Promise<Job> {
  const appDir = resolve(opts.appDir);
  const dockerfile = join(appDir, 'Dockerfile');
  if (!existsSync(appDir)) throw new DistillError(opts.appDir, 'no such directory');
  if (!existsSync(dockerfile)) throw new DistillError(opts.appDir, 'no Dockerfile: harden starts from the app\'s traditional Dockerfile');
  // One plan for both images: what Dockerfile.distroless renders is what build assembles.
  const plan = planApp(appDir, opts.target ? { target: opts.target } : {});
  const detected = opts.runtime ?? plan?.runtime ?? detectRuntime(appDir);
  if (!(detected in FLAVOUR)) {
    throw new DistillError(opts.appDir, `harden builds Node.js, Python, Go, Java and Rust apps; this looks like ${detected}: use lint, convert, build, verify and compare one by one`);
  }
  const runtime = detected as TraditionalRuntime;
  const text = readFileSync(dockerfile, 'utf8');
  const conv = convertDockerfile(text, { context: appDir, ...(opts.target ? { target: opts.target } : {}) });
  // The Node.js verified is the one Dockerfile.distroless names (`FROM node` is the newest major).
  const nodeMajor = opts.nodeMajor ?? (plan?.language === 'node' && plan.version ? plan.version : /\/nodejs(\d+)-/.exec(conv.base ?? '')?.[1] ?? '22');
  const problems = toolchainProblems(appDir, runtime, toolchainFacts(Number(nodeMajor)), { artifact: Boolean(opts.artifact) });
  const fatal = problems.find((p) => p.severity === 'error');
  if (fatal) throw new DistillError(opts.appDir, describeProblem(fatal), { code: 'E_TOOLCHAIN' });
  for (const p of problems) opts.onWarning?.(describeProblem(p));
  const name = basename(appDir).toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  const out = resolve(opts.out ?? join('distill-out', name));
  const engine = findEngine();
  // A proof CI would refuse anyway is refused before any work when nothing real can be had.
  if (opts.requireReal && !opts.before && (!engine || opts.engineBuild === false)) {
    throw new DistillError('--require-real', `the before image would be simulated (${engine ? 'the engine build is off' : 'neither podman nor docker is installed'}); pass --before REF`, { code: 'E_USAGE' });
  }
  const also = (opts.also ?? []).map(parseAlso);
  checkLabels(also);
  if (opts.before) await givenBefore(opts.before);
  for (const a of also) await givenBefore(a.reference, '--also');
  return {
    appDir, dockerfile, text, conv, runtime, name, out, engine, nodeMajor, also,
    flavour: plan && plan.runtime === runtime ? baseFlavourOf(plan.flavour) : FLAVOUR[runtime],
    ...fromDockerfile(text, opts.target),
    layout: join(out, 'images'),
    step: (i, msg) => opts.onStep?.(i, STEPS, msg),
  };
}

/** Step 4: the image the user ships today — given, built by the engine, or (labelled) simulated. */
async function beforeImage(job: Job, opts: HardenOptions): Promise<{ ref: string; provenance: Provenance }> {
  if (opts.before) {
    job.step(4, `the traditional image: ${opts.before}, as given`);
    return { ref: opts.before, provenance: { kind: 'given', reference: opts.before } };
  }
  const provenance: Provenance = job.engine && opts.engineBuild !== false
    ? await buildBefore(job.engine, { ...job, target: opts.target, onBuildStep: opts.onBuildStep })
    : { kind: 'simulated', reason: job.engine ? 'the engine build is off (--no-build)' : 'neither podman nor docker is installed' };
  if (provenance.kind === 'built') return { ref: provenance.reference!, provenance };
  if (opts.requireReal) throw new DistillError('--require-real', `the before image would be simulated: ${provenance.reason}`, { code: 'E_USAGE' });
  job.step(4, `simulate the traditional image (Debian + apt + shell + ${job.runtime} toolchain, as ${TRADITIONAL_RUNTIMES[job.runtime].like} gives): ${provenance.reason}`);
  const fat = await buildTraditional({ appDir: job.appDir, runtime: job.runtime, nodeMajor: job.nodeMajor, cmd: job.cmd, ...(opts.deps ? { deps: opts.deps } : {}) });
  await writeLayout(fat, job.layout, 'traditional');
  return { ref: `oci:${job.layout}:traditional`, provenance };
}

/** Step 5: `distill build` of the app on the base of step 3, into the layout as `distroless`. */
async function distillImage(job: Job, opts: HardenOptions, bases: string): Promise<string> {
  job.step(5, 'build the distroless image (no daemon)');
  const built = await buildApp({
    appDir: job.appDir, baseDir: bases, baseTag: 'nonroot', runtime: job.runtime, nodeMajor: job.nodeMajor,
    ...(opts.target ? { target: opts.target } : {}), ...(opts.artifact ? { artifact: opts.artifact } : {}), ...(opts.deps ? { deps: opts.deps } : {}),
    ...(opts.cmd ? { cmd: opts.cmd } : {}), ...(opts.entrypoint ? { entrypoint: opts.entrypoint } : {}), ...(opts.ports?.length ? { ports: opts.ports } : {}),
  });
  try {
    await writeLayout(built.image, job.layout, 'distroless');
  } finally {
    built.cleanup();
  }
  return `oci:${job.layout}:distroless`;
}

/**
 * Step 5, with an engine: Dockerfile.distroless built by the engine on the base of step 3 (loaded
 * under a local name the `.local` copy's FROM names), and checked against distill build's image.
 * Without one (or when it cannot be built), distill build's image stands, and says why.
 */
async function afterImage(
  job: Job, opts: HardenOptions, conv: ConvertResult, convFile: string, baseImage: Image, distillRef: string,
): Promise<{ ref: string; provenance: Provenance; after: HardenResult['after'] }> {
  const kept = (why: string) => {
    const skipped = `Dockerfile.distroless not built, distill build's image used: ${why}`;
    return { ref: distillRef, provenance: { kind: 'distill' as const, reference: distillRef, reason: skipped }, after: { skipped } };
  };
  if (!job.engine || opts.engineBuild === false) return kept(job.engine ? 'the engine build is off (--no-build)' : 'neither podman nor docker is installed');
  if (!conv.converted || !conv.base) return kept('the Dockerfile was not converted');
  const engine = job.engine;
  const log = join(job.out, 'after-build.log');
  job.step(5, `build Dockerfile.distroless with ${engine} on the base built in step 3 (log: ${log})`);
  const localBase = `localhost/distill-harden/base-${job.flavour}:nonroot`;
  const local = join(job.out, 'Dockerfile.distroless.local');
  writeFileAtomicSync(local, pointFromAt(conv.dockerfile, conv.base, localBase));
  const a = await writeImage(baseImage, `${engine}:${localBase}`).then(
    () => engineBuild({ engine, appDir: job.appDir, dockerfile: local, tag: beforeTag(job.name).replace(/:before$/, ':distroless'), log, onStep: opts.onBuildStep }),
    (e: unknown): Provenance => ({ kind: 'simulated', reason: `loading the base into ${engine} failed: ${e instanceof Error ? e.message : String(e)}` }),
  );
  if (a.kind !== 'built') return kept(a.reason ?? 'the engine build failed');
  const differences = await imageDifferences(await openImage(a.reference!), await openImage(distillRef));
  return {
    ref: a.reference!,
    provenance: { ...a, dockerfileDigest: fileDigest(convFile), reason: `built from ${local} (Dockerfile.distroless with FROM ${conv.base} pointed at ${localBase})` },
    after: { differences },
  };
}

/** Step 6: each image run for real — plainly first, then with the hardening flags. */
async function verifyAll(job: Job, opts: HardenOptions, images: Record<string, string>): Promise<HardenResult['verify']> {
  if (!(opts.verify ?? true)) return { skipped: 'not asked (--no-verify)' };
  if (!job.engine) return { skipped: 'neither podman nor docker is installed' };
  job.step(6, `verify ${Object.keys(images).length === 2 ? 'both images' : 'each image'} for real (read-only, cap-drop ALL, no-new-privileges${job.probe ? `, HTTP probe of ${new URL(job.probe).pathname}` : ', no HEALTHCHECK so no HTTP probe'})`);
  const byLabel: Record<string, VerifyResult> = {};
  for (const [label, ref] of Object.entries(images)) byLabel[label] = await verifyImage(ref, { ...(job.probe ? { probe: job.probe } : {}), duration: 2, startCheck: true });
  return { byLabel };
}

/** Runs the whole job on `opts.appDir`. */
export async function harden(opts: HardenOptions): Promise<HardenResult> {
  const job = await prepare(opts);
  mkdirSync(job.out, { recursive: true });

  job.step(1, `lint ${job.dockerfile}`);
  const lint = { file: job.dockerfile, findings: lintFile(job.dockerfile) };

  job.step(2, 'convert to a multi-stage distroless Dockerfile');
  const conv = job.conv;
  const convFile = join(job.out, 'Dockerfile.distroless');
  writeFileAtomicSync(convFile, conv.dockerfile);

  job.step(3, `build the distroless ${job.flavour} base from Debian packages`);
  const bases = join(job.out, 'bases');
  mkdirSync(bases, { recursive: true });
  const base = await buildBase({ flavour: job.flavour, ...(job.flavour === 'nodejs' ? { node: job.nodeMajor } : {}), lock: join(bases, `${job.flavour}.lock.json`), tags: ['nonroot'], onWarning: () => undefined });
  await writeLayout(base.images.nonroot!, join(bases, job.flavour), 'nonroot');

  const before = await beforeImage(job, opts);
  const distillRef = await distillImage(job, opts, bases);
  const afterResult = await afterImage(job, opts, conv, convFile, base.images.nonroot!, distillRef);
  const images: HardenResult['images'] = { traditional: before.ref, distroless: afterResult.ref, ...Object.fromEntries(job.also.map((a) => [a.label, a.reference])) };
  const provenance: HardenResult['provenance'] = {
    traditional: before.provenance, distroless: afterResult.provenance,
    ...Object.fromEntries(job.also.map((a) => [a.label, { kind: 'given', reference: a.reference } satisfies Provenance])),
  };
  const verify = await verifyAll(job, opts, images);

  job.step(7, 'compare');
  // The ecosystems these images contain are fetched or refreshed first (never with --offline).
  const comparison = await compareImages(Object.values(images), {
    dbDir: opts.dbDir, labels: Object.keys(images), update: resolveOsvSource({ offline: opts.offline }),
    ...(opts.onDbProgress ? { onProgress: opts.onDbProgress } : {}),
  });
  for (const w of comparison.warnings) opts.onWarning?.(w);

  job.step(8, 'write report.html');
  const report = join(job.out, 'report.html');
  writeFileAtomicSync(
    report,
    renderReport(withDisplayLabels(comparison, provenance), {
      title: `distill harden: ${job.name}`,
      lint: { file: job.dockerfile, findings: lint.findings },
      convert: { file: convFile, dockerfile: conv.dockerfile, changes: conv.changes },
      ...('skipped' in verify
        ? {}
        : { verify: Object.entries(verify.byLabel).map(([label, v]) => ({ label: displayLabel(label, provenance), passed: v.passed, checks: v.checks.map((c) => ({ name: c.id, passed: c.status === 'pass', detail: `${c.status}: ${c.reason}` })) })) }),
      generatedAt: new Date().toISOString(),
    }),
  );
  const summary = join(job.out, 'summary.json');
  const result: HardenResult = { appDir: job.appDir, out: job.out, lint, convert: { ...conv, file: convFile }, images, provenance, after: afterResult.after, verify, comparison, report, summary };
  writeFileAtomicSync(summary, JSON.stringify(hardenJson(result), null, 2) + '\n');
  return result;
}

/** The stable JSON shape of a harden run (without the bulky SBOM and audit details). */
export function hardenJson(r: HardenResult): object {
  return {
    appDir: r.appDir,
    out: r.out,
    images: r.images,
    provenance: r.provenance,
    after: r.after,
    report: r.report,
    convertedDockerfile: r.convert.file,
    lint: r.lint.findings.map((f) => ({ rule: f.rule, severity: f.severity, line: f.line, message: f.message })),
    convert: { converted: r.convert.converted, language: r.convert.language, base: r.convert.base, changes: r.convert.changes.length, warnings: r.convert.warnings },
    verify: 'skipped' in r.verify ? r.verify : Object.fromEntries(Object.entries(r.verify.byLabel).map(([label, v]) => [label, { reference: v.reference, passed: v.passed, checks: v.checks, ...(v.listening ? { listening: v.listening } : {}) }])),
    comparison: r.comparison.images.map((im) => ({
      label: im.label,
      digest: im.digest,
      compressed: im.compressed,
      compressedByDistill: im.compressedByDistill,
      uncompressed: im.uncompressed,
      packages: im.packages,
      vulnerabilities: im.vulnerabilities,
      shell: im.shell,
      packageManager: im.packageManager,
      runsAsRoot: im.runsAsRoot,
      user: im.user,
      grade: im.grade,
      verdict: im.verdict,
    })),
    reductions: r.comparison.reductions,
  };
}

/** The engine harden builds and runs with, if any. */
function findEngine(): Engine | undefined {
  try {
    return detectEngine();
  } catch {
    return undefined;
  }
}

/** Step 4 with an engine: the app's own Dockerfile built for real; a failure is reported, not hidden. */
async function buildBefore(
  engine: Engine,
  o: { appDir: string; dockerfile: string; name: string; out: string; target?: string; onBuildStep?: (line: string) => void; step: (i: number, msg: string) => void },
): Promise<Provenance> {
  const log = join(o.out, 'before-build.log');
  o.step(4, `build the traditional image: ${engine} build -f Dockerfile${o.target ? ` --target ${o.target}` : ''} (log: ${log})`);
  return engineBuild({ engine, appDir: o.appDir, dockerfile: o.dockerfile, target: o.target, tag: beforeTag(o.name), log, onStep: o.onBuildStep });
}

/** The engine-store name of the before image built for app `name` (lowercase, as engines require). */
export function beforeTag(name: string): string {
  return `localhost/distill-harden/${name.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '') || 'app'}:before`;
}

/** How an image is labelled where people read it: a simulated one says so. */
export function displayLabel(label: string, provenance: HardenResult['provenance']): string {
  return provenance[label]?.kind === 'simulated' ? `${label} (simulated)` : label;
}

function withDisplayLabels(c: Comparison, provenance: HardenResult['provenance']): Comparison {
  return { ...c, images: c.images.map((im) => ({ ...im, label: displayLabel(im.label, provenance) })) };
}
