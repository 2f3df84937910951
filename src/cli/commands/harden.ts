/** `distill harden [APPDIR]`: the main job — lint, convert, build fat and distroless, verify, compare, report. */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { harden, hardenJson } from '../../harden/index.ts';
import { comparisonRows } from '../../report/compare.ts';
import { colors, humanBytes, printJson, table, type CommonOptions } from '../output.ts';

interface HardenCliOptions extends CommonOptions {
  out?: string;
  node?: string;
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
    .option('--node <major>', 'Node.js major version for both images', '22')
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
      const r = await harden({
        appDir,
        out: opts.out,
        nodeMajor: opts.node,
        verify: opts.verify,
        dbDir: opts.db,
        onStep: (i, n, msg) => {
          if (!opts.quiet && !opts.json) process.stderr.write(`${tty ? colors.cyan(`[${i}/${n}]`) : `[${i}/${n}]`} ${msg} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
        },
      });
      const distrolessVerified = Array.isArray(r.verify) ? r.verify[1]!.passed : true;
      if (!distrolessVerified) process.exitCode = 1;
      if (opts.json) return printJson(hardenJson(r));
      if (opts.quiet) return void process.stdout.write(`${r.report}\n`);
      const t = table(['', ...r.comparison.images.map((im) => im.label)]);
      for (const row of comparisonRows(r.comparison, { bytes: humanBytes })) t.push(row);
      if (Array.isArray(r.verify)) t.push(['verified (run for real)', ...r.verify.map((v) => (v.passed ? 'passed' : `failed: ${v.checks.filter((c) => c.status === 'fail').map((c) => c.id).join(', ')}`))]);
      process.stdout.write(t.toString() + '\n');
      const w = Math.max(...r.comparison.images.map((im) => im.label.length));
      for (const im of r.comparison.images) process.stdout.write(`verdict ${im.label.padEnd(w)}  ${im.verdict}\n`);
      if (r.comparison.vulnerabilityNote) process.stdout.write(`note: ${r.comparison.vulnerabilityNote}\n`);
      if (!Array.isArray(r.verify)) process.stdout.write(`note: images not run: ${r.verify.skipped}\n`);
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
