/** `distill compare A B [C…]`: the side-by-side table, with reductions against the first image. */
import { Option, type Command } from 'commander';
import { compareImages, comparisonMarkdown, comparisonRows, type Comparison } from '../../report/compare.ts';
import { resolveOsvSource } from '../../vuln/source.ts';
import { humanBytes, printJson, table, type CommonOptions } from '../output.ts';
import { osvProgress } from './db.ts';

interface CompareCliOptions extends CommonOptions {
  format: 'table' | 'markdown' | 'json';
  db?: string;
  platform?: string;
  label?: string[];
  offline?: boolean;
}

/** JSON without the bulky per-image audit/SBOM/scan details (use audit, sbom, scan for those). */
export function comparisonJson(c: Comparison): object {
  return {
    images: c.images.map(({ audit, sbom, scan, ...rest }) => ({ ...rest, findings: audit.findings.map((f) => ({ rule: f.rule, severity: f.severity, title: f.title })), distro: sbom.distro ?? null, dbDate: scan?.db?.dbDate ?? null })),
    reductions: c.reductions,
    warnings: c.warnings,
    ...(c.vulnerabilityNote ? { vulnerabilityNote: c.vulnerabilityNote } : {}),
  };
}

/** Registers `distill compare`. */
export function register(program: Command): void {
  program
    .command('compare')
    .description('compare images side by side: size, layers, packages, CVEs, shell?, package manager?, root?, grade')
    .argument('<images...>', 'two or more image references; the first is the baseline')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'markdown', 'json']).default('table'))
    .option('--json', 'same as --format json')
    .option('--label <name>', 'label for each image, in order (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--db <dir>', 'OSV database directory (default: the cache\'s); the ecosystems the images need are fetched into it')
    .option('--offline', 'never touch the network: count CVEs with the DB as it is, "no DB" without one (also DISTILL_OFFLINE=1)')
    .option('--platform <os/arch>', 'platform to pick from multi-platform images (default linux/amd64)')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (refs: string[], opts: CompareCliOptions) => {
      const format = opts.json ? 'json' : opts.format;
      const progress = osvProgress(Boolean(opts.quiet) || format === 'json');
      let c: Comparison;
      try {
        c = await compareImages(refs, {
          platform: opts.platform,
          dbDir: opts.db,
          labels: opts.label?.length ? opts.label : undefined,
          update: resolveOsvSource({ offline: opts.offline }),
          ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        });
      } finally {
        progress.done();
      }
      if (!opts.quiet && format !== 'json') for (const w of c.warnings) process.stderr.write(`distill: warning: ${w}\n`);
      if (opts.quiet) return;
      if (format === 'json') return printJson(comparisonJson(c));
      if (format === 'markdown') return void process.stdout.write(comparisonMarkdown(c, humanBytes));
      const t = table(['', ...c.images.map((im) => im.label)]);
      for (const r of comparisonRows(c, { bytes: humanBytes })) t.push(r);
      process.stdout.write(t.toString() + '\n');
      for (const im of c.images) process.stdout.write(`${im.label}: ${im.verdict}\n`);
      if (c.vulnerabilityNote) process.stdout.write(`note: ${c.vulnerabilityNote}\n`);
    });
}
