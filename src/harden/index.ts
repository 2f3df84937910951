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
import { detectEngine } from '../runtime/engine.ts';
import { verifyImage, type VerifyResult } from '../runtime/verify.ts';
import { DistillError } from '../util/errors.ts';
import { parseDockerfile, targetStage } from '../dockerfile/parse.ts';
import { buildTraditional, TRADITIONAL_RUNTIMES, type TraditionalRuntime } from './traditional.ts';
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
  /** Step reporting: index from 1, total, message. */
  onStep?: (i: number, total: number, msg: string) => void;
}

export interface HardenResult {
  appDir: string;
  out: string;
  lint: { file: string; findings: Finding[] };
  convert: ConvertResult & { file: string };
  images: { traditional: string; distroless: string };
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
  step(4, `build the traditional image (Debian + apt + shell + ${runtime} toolchain, as ${TRADITIONAL_RUNTIMES[runtime].like} gives)`);
  const fat = await buildTraditional({ appDir, runtime, nodeMajor, cmd });
  await writeLayout(fat, layout, 'traditional');

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
  const images = { traditional: `oci:${layout}:traditional`, distroless: `oci:${layout}:distroless` };

  let verify: HardenResult['verify'];
  const wantVerify = opts.verify ?? true;
  let engineOk = false;
  try {
    detectEngine();
    engineOk = true;
  } catch {
    engineOk = false;
  }
  if (!wantVerify) verify = { skipped: 'not asked (--no-verify)' };
  else if (!engineOk) verify = { skipped: 'neither podman nor docker is installed' };
  else {
    step(6, `verify both images for real (read-only, cap-drop ALL, no-new-privileges${probe ? `, HTTP probe of ${new URL(probe).pathname}` : ', no HEALTHCHECK so no HTTP probe'})`);
    const check = (ref: string) => verifyImage(ref, { ...(probe ? { probe } : {}), duration: 2 });
    verify = { traditional: await check(images.traditional), distroless: await check(images.distroless) };
  }

  step(7, 'compare');
  const comparison = await compareImages([images.traditional, images.distroless], { dbDir: opts.dbDir, labels: ['traditional', 'distroless'] });

  step(8, 'write report.html');
  const report = join(out, 'report.html');
  writeFileAtomicSync(
    report,
    renderReport(comparison, {
      title: `distill harden: ${name}`,
      lint: { file: dockerfile, findings: lint.findings },
      convert: { file: convFile, dockerfile: conv.dockerfile, changes: conv.changes },
      ...('skipped' in verify
        ? {}
        : { verify: Object.entries(verify).map(([label, v]) => ({ label, passed: v.passed, checks: v.checks.map((c) => ({ name: c.id, passed: c.status === 'pass', detail: `${c.status}: ${c.reason}` })) })) }),
      generatedAt: new Date().toISOString(),
    }),
  );
  const summary = join(out, 'summary.json');
  const result: HardenResult = { appDir, out, lint, convert: { ...conv, file: convFile }, images, verify, comparison, report, summary };
  writeFileAtomicSync(summary, JSON.stringify(hardenJson(result), null, 2) + '\n');
  return result;
}

/** The stable JSON shape of a harden run (without the bulky SBOM and audit details). */
export function hardenJson(r: HardenResult): object {
  return {
    appDir: r.appDir,
    out: r.out,
    images: r.images,
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
