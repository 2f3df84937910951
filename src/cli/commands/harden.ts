/** `distill harden [APPDIR]`: the main job — lint, convert, build fat and distroless, verify, compare, report. */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { displayLabel, harden, hardenJson } from '../../harden/index.ts';
import { comparisonRows } from '../../report/compare.ts';
import { colors, humanBytes, parseArgv, printJson, table, type CommonOptions } from '../output.ts';
import { RUNTIMES, type Runtime } from '../../assemble/index.ts';
import { DistillError, escapeControl } from '../../util/errors.ts';
import { osvProgress } from './db.ts';
import { addDepsOptions, depsOptions } from './build.ts';

interface HardenCliOptions extends CommonOptions {
  out?: string;
  node?: string;
  runtime?: string;
  artifact?: string;
  cmd?: string;
  entrypoint?: string;
  port: string[];
  verify: boolean;
  db?: string;
  offline?: boolean;
  indexUrl?: string;
  extraIndexUrl: string[];
  allowSdist?: boolean;
  pythonVersion?: string;
  before?: string;
  also: string[];
  target?: string;
  requireReal?: boolean;
  build: boolean;
}

const DEFAULT_APP = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'node-express');

/** Registers `distill harden`. */
export function register(program: Command): void {
  program
    .command('harden')
    .description('the whole job on one app: lint, convert, build the traditional and the distroless image, verify both, compare, report')
    .argument('[appdir]', 'Node.js, Python, Go, Java or Rust app directory with its traditional Dockerfile (default: the bundled examples/node-express)')
    .option('-o, --out <dir>', 'where to write everything (default ./distill-out/<app>)')
    .option('--node <major>', 'Node.js major version for both images (default: the Dockerfile\'s node image tag, else 22)')
    .option('--runtime <name>', `override detection for the distroless image: ${RUNTIMES.join(', ')}`)
    .option('--artifact <path>', 'prebuilt binary, jar, wheelhouse dir or dotnet publish dir for the distroless image (as distill build --artifact)')
    .option('--cmd <cmd>', 'override the distroless image\'s CMD (JSON array or words)')
    .option('--entrypoint <cmd>', 'override the distroless image\'s ENTRYPOINT (JSON array or words)')
    .option('-p, --port <port>', 'exposed port of the distroless image (repeatable; default: the Dockerfile\'s EXPOSE)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--before <ref>', 'the image you ship today (podman:, docker:, docker-archive:, oci:, registry): the traditional image, as given')
    .option('--also <[label=]ref>', 'one more image for the table, as given (repeatable), e.g. alpine=podman:myapp:alpine', (v: string, prev: string[]) => [...prev, v], [])
    .option('--target <stage>', 'the Dockerfile stage podman/docker builds for the traditional image')
    .option('--no-build', 'do not build the app\'s Dockerfile with podman/docker: simulate the traditional image')
    .option('--require-real', 'exit 2 rather than compare against a simulated traditional image')
    .option('--no-verify', 'do not run the images (podman or docker)');
  // The command just added: the dependency flags are build's.
  addDepsOptions(program.commands[program.commands.length - 1]!)
    .option('--db <dir>', 'OSV database for CVE counts (default: the cache\'s, fetched for the ecosystems the images contain)')
    .option('--offline', 'no downloads: CVEs counted with the DB as it is ("no DB" without one; also DISTILL_OFFLINE=1), and dependencies as build --offline installs them')
    .option('--json', 'print the summary as JSON')
    .option('-q, --quiet', 'print only where the report is')
    .addHelpText(
      'after',
      `
The traditional image is, in order: --before REF as given; else the app's Dockerfile built by
podman or docker (log in before-build.log); else, when there is no engine or the build fails
(e.g. its base cannot be pulled), one assembled from Debian packages, labelled "simulated"
everywhere with the reason.

Writes, under the output directory: Dockerfile.distroless (with every change explained in the
report), images/ (an OCI layout with tags traditional and distroless), bases/ (the distroless
base — nodejs, python3, static, java or cc — and its lockfile), report.html and summary.json.

Exit status: 0 done and the distroless image verified; 1 done but the distroless image failed
verification, or the image built from Dockerfile.distroless differs from distill build's; 2 bad input, or --require-real and the traditional image would be simulated.`,
    )
    .action(async (appArg: string | undefined, opts: HardenCliOptions) => {
      const appDir = appArg ?? relative(process.cwd(), DEFAULT_APP) ?? DEFAULT_APP;
      const tty = Boolean(process.stderr.isTTY) && !opts.quiet && !opts.json;
      const t0 = Date.now();
      if (opts.runtime && !RUNTIMES.includes(opts.runtime as Runtime)) throw new DistillError(`--runtime ${opts.runtime}`, `unknown runtime; choose from ${RUNTIMES.join(', ')}`, { code: 'E_USAGE' });
      const progress = osvProgress(Boolean(opts.quiet) || Boolean(opts.json));
      const r = await harden({
        appDir,
        ...(opts.runtime ? { runtime: opts.runtime as Runtime } : {}),
        ...(opts.artifact ? { artifact: opts.artifact } : {}),
        ...(opts.cmd !== undefined ? { cmd: parseArgv(opts.cmd, '--cmd') } : {}),
        ...(opts.entrypoint !== undefined ? { entrypoint: parseArgv(opts.entrypoint, '--entrypoint') } : {}),
        ports: opts.port,
        out: opts.out,
        nodeMajor: opts.node,
        verify: opts.verify,
        dbDir: opts.db,
        offline: Boolean(opts.offline),
        deps: depsOptions(opts),
        ...(progress.onProgress ? { onDbProgress: progress.onProgress } : {}),
        ...(opts.before ? { before: opts.before } : {}),
        ...(opts.also.length ? { also: opts.also } : {}),
        ...(opts.target ? { target: opts.target } : {}),
        requireReal: Boolean(opts.requireReal),
        engineBuild: opts.build,
        onBuildStep: (line) => {
          if (!opts.quiet && !opts.json) process.stderr.write(`      ${line.replace(/\t/g, ' ').split('\n').map(escapeControl).join(' ')}\n`);
        },
        onWarning: (msg) => {
          if (!opts.quiet) process.stderr.write(`warning: ${escapeControl(msg)}\n`);
        },
        onStep: (i, n, msg) => {
          if (!opts.quiet && !opts.json) process.stderr.write(`${tty ? colors.cyan(`[${i}/${n}]`) : `[${i}/${n}]`} ${msg} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
        },
      }).finally(() => progress.done());
      const distrolessVerified = 'skipped' in r.verify ? true : r.verify.byLabel.distroless?.passed === true;
      const afterDiffers = 'differences' in r.after && r.after.differences.length > 0;
      if (!distrolessVerified || afterDiffers) process.exitCode = 1;
      if (opts.json) return printJson(hardenJson(r));
      if (opts.quiet) return void process.stdout.write(`${r.report}\n`);
      const t = table(['', ...r.comparison.images.map((im) => displayLabel(im.label, r.provenance))]);
      for (const row of comparisonRows(r.comparison, { bytes: humanBytes })) t.push(row);
      if (!('skipped' in r.verify)) {
        const v = r.verify;
        t.push(['verified (run for real)', ...r.comparison.images.map((im) => {
          const res = v.byLabel[im.label];
          if (!res) return 'not run';
          const start = res.checks.find((c) => c.id === 'start' && c.status === 'fail');
          if (start) return escapeControl(start.reason);
          return res.passed ? 'passed' : `failed: ${res.checks.filter((c) => c.status === 'fail').map((c) => c.id).join(', ')}`;
        })]);
      }
      process.stdout.write(t.toString() + '\n');
      const w = Math.max(...r.comparison.images.map((im) => im.label.length));
      for (const im of r.comparison.images) process.stdout.write(`verdict ${im.label.padEnd(w)}  ${im.verdict}\n`);
      if (r.comparison.vulnerabilityNote) process.stdout.write(`note: ${r.comparison.vulnerabilityNote}\n`);
      if ('skipped' in r.verify) process.stdout.write(`note: images not run: ${r.verify.skipped}\n`);
      const b = r.provenance.traditional;
      process.stdout.write(
        b.kind === 'simulated'
          ? `note: the traditional image is simulated (assembled from Debian packages): ${b.reason}; pass --before REF for the real one\n`
          : `note: the traditional image is ${b.kind === 'given' ? `${b.reference}, as given` : `the Dockerfile built by ${b.engine} (${b.reference})`}\n`,
      );
      if ('differences' in r.after) {
        for (const d of r.after.differences) process.stdout.write(`differs: ${escapeControl(d)}\n`);
        if (!afterDiffers) process.stdout.write('note: the image built from Dockerfile.distroless and distill build\'s agree (Entrypoint, Cmd, User, WorkingDir, Env, ExposedPorts, files under the WorkingDir)\n');
      } else process.stdout.write(`note: ${escapeControl(r.after.skipped)}\n`);
      const lintErrors = r.lint.findings.filter((f) => f.severity === 'error').length;
      process.stdout.write(
        [
          '',
          `lint:      ${r.lint.findings.length} findings (${lintErrors} errors) in ${r.lint.file}`,
          `converted: ${r.convert.file} (${r.convert.changes.length} changes)`,
          `images:    ${r.images.traditional}  ${r.images.distroless}`,
          `report:    ${r.report}`,
          `summary:   ${r.summary}`,
          '',
        ].join('\n'),
      );
    });
}
