/** `distill compare A B [C…]`: the side-by-side table, with reductions against the first image. */
import { Option, type Command } from 'commander';
import { compareImages, comparisonMarkdown, comparisonRows, type Comparison } from '../../report/compare.ts';
import { humanBytes, printJson, table, type CommonOptions } from '../output.ts';

interface CompareCliOptions extends CommonOptions {
  format: 'table' | 'markdown' | 'json';
  db?: string;
  platform?: string;
  label?: string[];
}

/** JSON without the bulky per-image audit/SBOM/scan details (use audit, sbom, scan for those). */
export function comparisonJson(c: Comparison): object {
  return {
    images: c.images.map(({ audit, sbom, scan, ...rest }) => ({ ...rest, findings: audit.findings.map((f) => ({ rule: f.rule, severity: f.severity, title: f.title })), distro: sbom.distro ?? null, dbDate: scan?.db?.dbDate ?? null })),
    reductions: c.reductions,
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
    .option('--db <dir>', 'OSV database directory (default: the cache\'s); without one CVEs show "no vulnerability DB"')
    .option('--platform <os/arch>', 'platform to pick from multi-platform images', 'linux/amd64')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (refs: string[], opts: CompareCliOptions) => {
      const c = await compareImages(refs, { platform: opts.platform, dbDir: opts.db, labels: opts.label?.length ? opts.label : undefined });
      const format = opts.json ? 'json' : opts.format;
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
