/** `distill report A B …`: the comparison as one self-contained HTML file. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { compareImages } from '../../report/compare.ts';
import { renderReport } from '../../report/html.ts';
import { printJson, type CommonOptions } from '../output.ts';
import { writeFileAtomicSync } from '../../util/files.ts';

interface ReportCliOptions extends CommonOptions {
  output: string;
  title?: string;
  label: string[];
  db?: string;
  platform?: string;
}

/** Registers `distill report`. */
export function register(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report comparing images: sizes, CVEs, layers, audit findings, SBOM')
    .argument('<images...>', 'image references; the first is the baseline')
    .option('-o, --output <file>', 'HTML file to write', 'report.html')
    .option('--title <title>', 'page title')
    .option('--label <name>', 'label for each image, in order (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--db <dir>', 'OSV database directory (default: the cache\'s)')
    .option('--platform <os/arch>', 'platform to pick from multi-platform images (default linux/amd64)')
    .option('--json', 'print {output} as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (refs: string[], opts: ReportCliOptions) => {
      const c = await compareImages(refs, { platform: opts.platform, dbDir: opts.db, labels: opts.label.length ? opts.label : undefined });
      const out = resolve(opts.output);
      writeFileAtomicSync(out, renderReport(c, { title: opts.title, generatedAt: new Date().toISOString() }));
      if (opts.json) printJson({ output: out, images: c.images.map((i) => ({ label: i.label, digest: i.digest, verdict: i.verdict })) });
      else if (!opts.quiet) process.stdout.write(`wrote ${out}\n`);
    });
}
