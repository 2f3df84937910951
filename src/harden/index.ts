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
import type { BaseFlavour } from '../assemble/common.ts';

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
  /** OSV database for CVE counts (default: the cache's, if imported). */
  dbDir?: string;
  /** The image the user ships today (any reference distill reads): the before image, as given. */
  before?: string;
  /** The Dockerfile stage the engine builds for the before image. */
  target?: string;
  /** Refuse (exit 2) rather than compare against a simulated before image. */
  requireReal?: boolean;
  /** Build the app's Dockerfile with the engine for the before image (default: when one is installed). */
  engineBuild?: boolean;
  /** Each step line of the engine's build output (`STEP 2/5: RUN npm ci`). */
  onBuildStep?: (line: string) => void;
  /** Step reporting: index from 1, total, message. */
  onStep?: (i: number, total: number, msg: string) => void;
}

export interface HardenResult {
  appDir: string;
  out: string;
  lint: { file: string; findings: Finding[] };
  convert: ConvertResult & { file: string };
  images: { traditional: string; distroless: string };
  /**
   * The engine-built Dockerfile.distroless checked against distill build's image: `differences`
   * (empty when they agree) or why it could not be built (`skipped`).
   */
  after: { differences: string[] } | { skipped: string };
  /** Where each image came from: given, built by an engine, built by distill, or simulated. */
  provenance: { traditional: Provenance; distroless: Provenance };
  /** Each image's verification, by its label. */
  verify: { traditional: VerifyResult; distroless: VerifyResult } | { skipped: string };
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
export function fromDockerfile(text: string): { cmd?: string[]; probe?: string } {
  // The model resolves what the final stage inherits: a CMD or HEALTHCHECK set in a parent stage counts.
  const final = targetStage(parseDockerfile(text));
  const c = final?.config.cmd;
  const cmd = c ? (c.exec ?? ['/bin/sh', '-c', c.args]) : undefined;
  const hc = final?.config.healthcheck;
  const m = hc ? /https?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(:\d+)?(\/[^\s"'|;&]*)?/.exec(hc.args) : null;
  return { cmd, probe: m ? `http://127.0.0.1${m[1] ?? ''}${m[2] ?? '/'}` : undefined };
}

/** Runs the whole job on `opts.appDir`. */
export async function harden(opts: HardenOptions): Promise<HardenResult> {
  const appDir = resolve(opts.appDir);
  const dockerfile = join(appDir, 'Dockerfile');
  if (!existsSync(appDir)) throw new DistillError(opts.appDir, 'no such directory');
  if (!existsSync(dockerfile)) throw new DistillError(opts.appDir, 'no Dockerfile: harden starts from the app\'s traditional Dockerfile');
  // One plan for both images: what Dockerfile.distroless renders is what build assembles.
  const plan = planApp(appDir);
  const detected = opts.runtime ?? plan?.runtime ?? detectRuntime(appDir);
  if (!(detected in FLAVOUR)) {
    throw new DistillError(opts.appDir, `harden builds Node.js, Python, Go, Java and Rust apps; this looks like ${detected}: use lint, convert, build, verify and compare one by one`);
  }
  const runtime = detected as TraditionalRuntime;
  const flavour = plan && plan.runtime === runtime ? baseFlavourOf(plan.flavour) : FLAVOUR[runtime];
  const { cmd, probe } = fromDockerfile(readFileSync(dockerfile, 'utf8'));
  const name = basename(appDir).toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  const out = resolve(opts.out ?? join('distill-out', name));
  mkdirSync(out, { recursive: true });
  const step = (i: number, msg: string) => opts.onStep?.(i, STEPS, msg);
  const engine = findEngine();
  // A proof CI would refuse anyway is refused before any work when nothing real can be had.
  if (opts.requireReal && !opts.before && (!engine || opts.engineBuild === false)) {
    throw new DistillError('--require-real', `the before image would be simulated (${engine ? 'the engine build is off' : 'neither podman nor docker is installed'}); pass --before REF`, { code: 'E_USAGE' });
  }
  if (opts.before) await givenBefore(opts.before);
  const nodeMajor = opts.nodeMajor ?? (plan?.language === 'node' && plan.version ? plan.version : '22');

  step(1, `lint ${dockerfile}`);
  const lint = { file: dockerfile, findings: lintFile(dockerfile) };

  step(2, 'convert to a multi-stage distroless Dockerfile');
  const conv = convertDockerfile(readFileSync(dockerfile, 'utf8'), { context: appDir });
  const convFile = join(out, 'Dockerfile.distroless');
  writeFileAtomicSync(convFile, conv.dockerfile);

  step(3, `build the distroless ${flavour} base from Debian packages`);
  const bases = join(out, 'bases');
  mkdirSync(bases, { recursive: true });
  const base = await buildBase({ flavour, ...(flavour === 'nodejs' ? { node: nodeMajor } : {}), lock: join(bases, `${flavour}.lock.json`), tags: ['nonroot'], onWarning: () => undefined });
  await writeLayout(base.images.nonroot!, join(bases, flavour), 'nonroot');

  const layout = join(out, 'images');
  let before: Provenance;
  let traditionalRef = `oci:${layout}:traditional`;
  if (opts.before) {
    step(4, `the traditional image: ${opts.before}, as given`);
    before = { kind: 'given', reference: opts.before };
    traditionalRef = opts.before;
  } else {
    before = engine && opts.engineBuild !== false
      ? await buildBefore(engine, { appDir, dockerfile, name, out, target: opts.target, onBuildStep: opts.onBuildStep, step })
      : { kind: 'simulated', reason: engine ? 'the engine build is off (--no-build)' : 'neither podman nor docker is installed' };
    if (before.kind === 'built') traditionalRef = before.reference!;
    else {
      if (opts.requireReal) throw new DistillError('--require-real', `the before image would be simulated: ${before.reason}`, { code: 'E_USAGE' });
      step(4, `simulate the traditional image (Debian + apt + shell + ${runtime} toolchain, as ${TRADITIONAL_RUNTIMES[runtime].like} gives): ${before.reason}`);
      const fat = await buildTraditional({ appDir, runtime, nodeMajor, cmd });
      await writeLayout(fat, layout, 'traditional');
    }
  }

  step(5, 'build the distroless image (no daemon)');
  const built = await buildApp({
    appDir, baseDir: bases, baseTag: 'nonroot', runtime, nodeMajor, ...(opts.artifact ? { artifact: opts.artifact } : {}),
    ...(opts.cmd ? { cmd: opts.cmd } : {}), ...(opts.entrypoint ? { entrypoint: opts.entrypoint } : {}), ...(opts.ports?.length ? { ports: opts.ports } : {}),
  });
  try {
    await writeLayout(built.image, layout, 'distroless');
  } finally {
    built.cleanup();
  }
  const images = { traditional: traditionalRef, distroless: `oci:${layout}:distroless` };
  const provenance: HardenResult['provenance'] = { traditional: before, distroless: { kind: 'distill', reference: images.distroless } };
  let after: HardenResult['after'];
  if (!engine || opts.engineBuild === false) after = { skipped: `Dockerfile.distroless not built, distill build's image used: ${engine ? 'the engine build is off (--no-build)' : 'neither podman nor docker is installed'}` };
  else if (!conv.converted || !conv.base) after = { skipped: 'Dockerfile.distroless not built, distill build\'s image used: the Dockerfile was not converted' };
  else {
    step(5, `build Dockerfile.distroless with ${engine} on the base built in step 3 (log: ${join(out, 'after-build.log')})`);
    const localBase = `localhost/distill-harden/base-${flavour}:nonroot`;
    const local = join(out, 'Dockerfile.distroless.local');
    writeFileAtomicSync(local, pointFromAt(conv.dockerfile, conv.base, localBase));
    const a = await writeImage(base.images.nonroot!, `${engine}:${localBase}`).then(
      () => engineBuild({ engine, appDir, dockerfile: local, tag: beforeTag(name).replace(/:before$/, ':distroless'), log: join(out, 'after-build.log'), onStep: opts.onBuildStep }),
      (e: unknown): Provenance => ({ kind: 'simulated', reason: `loading the base into ${engine} failed: ${e instanceof Error ? e.message : String(e)}` }),
    );
    if (a.kind !== 'built') after = { skipped: `Dockerfile.distroless not built, distill build's image used: ${a.reason}` };
    else {
      after = { differences: await imageDifferences(await openImage(a.reference!), await openImage(images.distroless)) };
      images.distroless = a.reference!;
      provenance.distroless = { ...a, dockerfileDigest: fileDigest(convFile), reason: `built from ${local} (Dockerfile.distroless with FROM ${conv.base} pointed at ${localBase})` };
    }
  }
  if ('skipped' in after) provenance.distroless = { ...provenance.distroless, reason: after.skipped };

  let verify: HardenResult['verify'];
  const wantVerify = opts.verify ?? true;
  const engineOk = engine !== undefined;
  if (!wantVerify) verify = { skipped: 'not asked (--no-verify)' };
  else if (!engineOk) verify = { skipped: 'neither podman nor docker is installed' };
  else {
    step(6, `verify both images for real (read-only, cap-drop ALL, no-new-privileges${probe ? `, HTTP probe of ${new URL(probe).pathname}` : ', no HEALTHCHECK so no HTTP probe'})`);
    const check = (ref: string) => verifyImage(ref, { ...(probe ? { probe } : {}), duration: 2, startCheck: true });
    verify = { traditional: await check(images.traditional), distroless: await check(images.distroless) };
  }

  step(7, 'compare');
  const comparison = await compareImages([images.traditional, images.distroless], { dbDir: opts.dbDir, labels: ['traditional', 'distroless'] });

  step(8, 'write report.html');
  const report = join(out, 'report.html');
  writeFileAtomicSync(
    report,
    renderReport(withDisplayLabels(comparison, provenance), {
      title: `distill harden: ${name}`,
      lint: { file: dockerfile, findings: lint.findings },
      convert: { file: convFile, dockerfile: conv.dockerfile, changes: conv.changes },
      ...('skipped' in verify
        ? {}
        : { verify: Object.entries(verify).map(([label, v]) => ({ label: displayLabel(label, provenance), passed: v.passed, checks: v.checks.map((c) => ({ name: c.id, passed: c.status === 'pass', detail: `${c.status}: ${c.reason}` })) })) }),
      generatedAt: new Date().toISOString(),
    }),
  );
  const summary = join(out, 'summary.json');
  const result: HardenResult = { appDir, out, lint, convert: { ...conv, file: convFile }, images, provenance, after, verify, comparison, report, summary };
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
    verify: 'skipped' in r.verify ? r.verify : Object.fromEntries(Object.entries(r.verify).map(([label, v]) => [label, { reference: v.reference, passed: v.passed, checks: v.checks }])),
    comparison: r.comparison.images.map((im) => ({
      label: im.label,
      digest: im.digest,
      compressed: im.compressed,
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
  const p = label === 'traditional' ? provenance.traditional : label === 'distroless' ? provenance.distroless : undefined;
  return p?.kind === 'simulated' ? `${label} (simulated)` : label;
}

function withDisplayLabels(c: Comparison, provenance: HardenResult['provenance']): Comparison {
  return { ...c, images: c.images.map((im) => ({ ...im, label: displayLabel(im.label, provenance) })) };
}
