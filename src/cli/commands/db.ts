/** `distill db import|update|status`: manage the local OSV vulnerability database. */
import type { Command } from 'commander';
import { dbStatus, defaultOsvDir, importOsv, updateOsv, type ImportSummary } from '../../vuln/db.ts';
import { colors, printJson, type CommonOptions } from '../output.ts';

interface DbOptions extends CommonOptions {
  dir?: string;
}

function printImport(s: ImportSummary, opts: DbOptions, extra: Record<string, unknown> = {}): void {
  if (opts.json) {
    printJson({ ...s, ...extra });
    return;
  }
  if (opts.quiet) return;
  const total = Object.values(s.ecosystems).reduce((n, e) => n + e.records, 0);
  process.stdout.write(`imported ${total} records into ${s.dir} (newest record ${s.dbDate ?? 'unknown'})\n`);
  for (const [eco, e] of Object.entries(s.ecosystems).sort(([a], [b]) => a.localeCompare(b))) {
    process.stdout.write(`  ${eco.padEnd(12)} ${String(e.records).padStart(7)} records  ${String(e.packages).padStart(6)} packages\n`);
  }
  if (s.rejectedCount) {
    process.stderr.write(`distill: warning: ${s.rejectedCount} documents were not OSV records (first: ${s.rejected[0]!.input}: ${s.rejected[0]!.error})\n`);
  }
}

/** Registers `distill db` and its subcommands. */
export function register(program: Command): void {
  const db = program
    .command('db')
    .description('manage the local OSV vulnerability database used by `distill scan`')
    .addHelpText(
      'after',
      `
The database lives in $XDG_CACHE_HOME/distill/osv (or $DISTILL_CACHE_DIR/osv); --dir overrides.
Sources use the OSV export layout: <base>/<Ecosystem>/all.zip (Debian, Alpine, npm, PyPI, Go, Maven, ...).`,
    );

  db.command('import')
    .description('import OSV records from zips (<Ecosystem>/all.zip), JSON files, or directories of them')
    .argument('<paths...>', 'zip files, JSON files or directories')
    .option('--dir <dir>', 'database directory (default: the cache)')
    .option('--json', 'print the import summary as JSON')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (paths: string[], opts: DbOptions) => {
      printImport(await importOsv(paths, { dir: opts.dir }), opts);
    });

  db.command('update')
    .description('download <URL>/<Ecosystem>/all.zip for each ecosystem and import them')
    .option('--from <url>', 'base URL of an OSV export (default: $DISTILL_OSV_URL); http(s):// or file://')
    .option('--ecosystem <names>', 'comma-separated ecosystems (default: Debian,Ubuntu,Alpine,npm,PyPI,Go,Maven,crates.io,RubyGems)')
    .option('--dir <dir>', 'database directory (default: the cache)')
    .option('--json', 'print the import summary as JSON')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (opts: DbOptions & { from?: string; ecosystem?: string }) => {
      const ecosystems = opts.ecosystem?.split(',').map((s) => s.trim()).filter(Boolean);
      const progress = !opts.quiet && !opts.json && process.stderr.isTTY ? (m: string) => process.stderr.write(`${m}\n`) : undefined;
      const s = await updateOsv({ from: opts.from, ecosystems, dir: opts.dir, onProgress: progress });
      printImport(s, opts, { missing: s.missing });
      if (s.missing.length && !opts.json && !opts.quiet) process.stderr.write(`distill: warning: not found at the source: ${s.missing.join(', ')}\n`);
    });

  db.command('status')
    .description('show the database date, record counts per ecosystem, and whether it is stale (> 7 days)')
    .option('--dir <dir>', 'database directory (default: the cache)')
    .option('--json', 'print the status as JSON')
    .option('-q, --quiet', 'print only warnings')
    .action(async (opts: DbOptions) => {
      const s = await dbStatus(opts.dir ?? defaultOsvDir());
      if (opts.json) {
        printJson(s);
        return;
      }
      if (!s.present) {
        process.stderr.write(`distill: warning: no vulnerability database in ${s.dir}; run \`distill db import\` or \`distill db update --from URL\`\n`);
        return;
      }
      if (!opts.quiet) {
        process.stdout.write(`database:  ${s.dir}\n`);
        process.stdout.write(`date:      ${s.dbDate ?? 'unknown'} (newest record${s.ageDays !== null ? `, ${s.ageDays} days old` : ''})\n`);
        process.stdout.write(`imported:  ${s.importedAt}\n`);
        process.stdout.write(`source:    ${s.source}\n`);
        for (const [eco, e] of Object.entries(s.ecosystems)) {
          process.stdout.write(`  ${eco.padEnd(12)} ${String(e.records).padStart(7)} records  ${String(e.packages).padStart(6)} packages  newest ${e.newest ?? 'unknown'}\n`);
        }
      }
      if (s.stale) process.stderr.write(colors.yellow(`distill: warning: the database is older than 7 days; run \`distill db update\`\n`));
    });
}
