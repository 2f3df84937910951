/** `distill harden [APPDIR]`: the main job — lint, convert, build fat and distroless, verify, compare, report. */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { harden, hardenJson } from '../../harden/index.ts';
import { comparisonRows } from '../../report/compare.ts';
import { colors, humanBytes, parseArgv, printJson, table, type CommonOptions } from '../output.ts';
import { RUNTIMES, type Runtime } from '../../assemble/index.ts';
import { DistillError } from '../../util/errors.ts';

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
    .option('--no-verify', 'do not run the images (podman or docker)')
    .option('--db <dir>', 'OSV database for CVE counts (default: the cache\'s, if imported)')
    .option('--json', 'print the summary as JSON')
    .option('-q, --quiet', 'print only where the report is')
    .addHelpText(
      'after',
      `
Writes, under the output directory: Dockerfile.distroless (with every change explained in the
report), images/ (an OCI layout with tags traditional and distroless), bases/ (the distroless
base — nodejs, python3, static, java or cc — and its lockfile), report.html and summary.json.

Exit status: 0 done and the distroless image verified; 1 done but the distroless image failed
verification; 2 bad input.`,
    )
    .action(async (appArg: string | undefined, opts: HardenCliOptions) => {
      const appDir = appArg ?? relative(process.cwd(), DEFAULT_APP) ?? DEFAULT_APP;
      const tty = Boolean(process.stderr.isTTY) && !opts.quiet && !opts.json;
      const t0 = Date.now();
      if (opts.runtime && !RUNTIMES.includes(opts.runtime as Runtime)) throw new DistillError(`--runtime ${opts.runtime}`, `unknown runtime; choose from ${RUNTIMES.join(', ')}`, { code: 'E_USAGE' });
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
        onStep: (i, n, msg) => {
          if (!opts.quiet && !opts.json) process.stderr.write(`${tty ? colors.cyan(`[${i}/${n}]`) : `[${i}/${n}]`} ${msg} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
        },
      });
      const distrolessVerified = 'skipped' in r.verify ? true : r.verify.distroless.passed;
      if (!distrolessVerified) process.exitCode = 1;
      if (opts.json) return printJson(hardenJson(r));
      if (opts.quiet) return void process.stdout.write(`${r.report}\n`);
      const t = table(['', ...r.comparison.images.map((im) => im.label)]);
      for (const row of comparisonRows(r.comparison, { bytes: humanBytes })) t.push(row);
      if (!('skipped' in r.verify)) {
        const v = r.verify;
        t.push(['verified (run for real)', ...r.comparison.images.map((im) => {
          const res = im.label === 'traditional' ? v.traditional : v.distroless;
          return res.passed ? 'passed' : `failed: ${res.checks.filter((c) => c.status === 'fail').map((c) => c.id).join(', ')}`;
        })]);
      }
      process.stdout.write(t.toString() + '\n');
      const w = Math.max(...r.comparison.images.map((im) => im.label.length));
      for (const im of r.comparison.images) process.stdout.write(`verdict ${im.label.padEnd(w)}  ${im.verdict}\n`);
      if (r.comparison.vulnerabilityNote) process.stdout.write(`note: ${r.comparison.vulnerabilityNote}\n`);
      if ('skipped' in r.verify) process.stdout.write(`note: images not run: ${r.verify.skipped}\n`);
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
