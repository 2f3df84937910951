/** `distill db import|update|status`: manage the local OSV vulnerability database. */
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import type * as CliProgress from 'cli-progress';
import { dbStatus, defaultOsvDir, HOW_TO_GET_A_DB, importOsv, type ImportSummary } from '../../vuln/db.ts';
import { DEFAULT_ECOSYSTEMS, DEFAULT_OSV_URL, resolveOsvSource, updateOsvDb, type DownloadProgress, type UpdateReport } from '../../vuln/source.ts';
import { parseDuration } from '../../util/config.ts';
import { DistillError } from '../../util/errors.ts';
import { colors, humanBytes, printJson, type CommonOptions } from '../output.ts';

interface DbOptions extends CommonOptions {
  dir?: string;
}

/** The command that gets a DB, for `db status --json` when there is none. */
const GET_DB_COMMAND = 'distill db update';

/**
 * A progress bar on stderr (bytes, ecosystem) when stderr is a TTY and the user did not ask for
 * quiet or JSON output; undefined otherwise. `done()` clears it.
 */
export function osvProgress(quiet: boolean): { onProgress?: (p: DownloadProgress) => void; done: () => void } {
  if (quiet || !process.stderr.isTTY) return { done: () => undefined };
  // Loaded only for a TTY: `scan` imports this module, and most scans run in CI with no bar.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  let bar: CliProgress.SingleBar | undefined;
  let current = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    onProgress(p) {
      if (p.ecosystem !== current) {
        stop();
        current = p.ecosystem;
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: `OSV ${p.ecosystem} [{bar}] {got} / {size}`, hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total ?? 0, 0, { got: humanBytes(0), size: p.total !== undefined ? humanBytes(p.total) : '?' });
      }
      if (p.total !== undefined && bar?.getTotal() !== p.total) bar?.setTotal(p.total);
      bar?.update(p.received, { got: humanBytes(p.received), size: p.total !== undefined ? humanBytes(p.total) : '?' });
    },
    done: stop,
  };
}

function printImport(s: ImportSummary, opts: DbOptions): void {
  if (opts.json) {
    printJson(s);
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

function printUpdate(r: UpdateReport, opts: DbOptions): void {
  if (opts.json) return printJson(r);
  if (!opts.quiet) {
    process.stdout.write(`OSV source ${r.source} -> ${r.dir} (newest record ${r.dbDate ?? 'unknown'})\n`);
    for (const [eco, u] of Object.entries(r.ecosystems)) {
      const what =
        u.status === 'downloaded' ? `updated: ${u.records} records, ${u.packages} packages (${humanBytes(u.bytes ?? 0)} downloaded)` : u.status === 'unchanged' ? 'unchanged (nothing downloaded)' : u.status === 'missing' ? 'not at the source' : 'failed, previous data kept';
      process.stdout.write(`  ${eco.padEnd(12)} ${what}\n`);
    }
  }
  for (const u of Object.values(r.ecosystems)) if (u.error) process.stderr.write(`distill: ${u.status === 'missing' ? 'warning: ' : ''}${u.error}\n`);
  if (r.rejectedCount && !opts.quiet) process.stderr.write(`distill: warning: ${r.rejectedCount} records were rejected (first: ${r.rejected[0]!.input}: ${r.rejected[0]!.error})\n`);
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
The source is the public OSV export (${DEFAULT_OSV_URL}) unless --from, $DISTILL_OSV_URL or
osv.url in $XDG_CONFIG_HOME/distill/config.yaml names another (http(s)://, file:// or a directory
in the export layout: <base>/ecosystems.txt, <base>/<Ecosystem>/all.zip).`,
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
    .description('fetch <source>/<Ecosystem>/all.zip for each ecosystem, downloading only what changed')
    .option('--from <url>', `OSV export base: http(s)://, file:// or a directory (default: $DISTILL_OSV_URL, config osv.url, else ${DEFAULT_OSV_URL})`)
    .option('--ecosystem <names>', `comma-separated ecosystems (default: those in the DB, else ${DEFAULT_ECOSYSTEMS.join(',')})`)
    .option('--all', "every ecosystem the source's ecosystems.txt lists")
    .option('--force', 'download even when the source says nothing changed')
    .option('--timeout <duration>', 'give up on a download when no data arrives for this long (default 30s; e.g. 10s, 2m)')
    .option('--offline', 'refuse to touch the network (a file:// or directory source still works)')
    .option('--dir <dir>', 'database directory (default: the cache)')
    .option('--json', 'print the update report as JSON')
    .option('-q, --quiet', 'print only errors')
    .action(async (opts: DbOptions & { from?: string; ecosystem?: string; all?: boolean; force?: boolean; offline?: boolean; timeout?: string }) => {
      const ecosystems = opts.ecosystem?.split(',').map((s) => s.trim()).filter(Boolean);
      if (opts.all && ecosystems?.length) throw new DistillError('db update', '--all and --ecosystem exclude each other', { code: 'E_USAGE' });
      let timeoutMs: number | undefined;
      if (opts.timeout) {
        try {
          timeoutMs = parseDuration(opts.timeout, 's');
        } catch {
          throw new DistillError(`--timeout ${opts.timeout}`, 'expected a duration such as 30s, 2m or 1h', { code: 'E_USAGE' });
        }
      }
      const source = resolveOsvSource({ from: opts.from, offline: opts.offline, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      const progress = osvProgress(Boolean(opts.quiet || opts.json));
      let r: UpdateReport;
      try {
        r = await updateOsvDb({ source, dir: opts.dir, ecosystems, all: opts.all, force: opts.force, ...(progress.onProgress ? { onProgress: progress.onProgress } : {}) });
      } finally {
        progress.done();
      }
      printUpdate(r, opts);
      const statuses = Object.values(r.ecosystems).map((u) => u.status);
      if (statuses.includes('failed') || !statuses.some((s) => s === 'downloaded' || s === 'unchanged')) process.exitCode = 2;
    });

  db.command('status')
    .description('show the database date, record counts per ecosystem, and whether it is stale (> 7 days)')
    .option('--dir <dir>', 'database directory (default: the cache)')
    .option('--json', 'print the status as JSON')
    .option('-q, --quiet', 'print only warnings')
    .action(async (opts: DbOptions) => {
      const s = await dbStatus(opts.dir ?? defaultOsvDir());
      if (opts.json) {
        printJson(s.present ? s : { ...s, command: GET_DB_COMMAND });
        return;
      }
      if (!s.present) {
        process.stdout.write(`no vulnerability database in ${s.dir}: ${HOW_TO_GET_A_DB}\n`);
        return;
      }
      if (!opts.quiet) {
        process.stdout.write(`database:  ${s.dir}\n`);
        process.stdout.write(`date:      ${s.dbDate ?? 'unknown'} (newest record${s.ageDays !== null ? `, ${s.ageDays} days old` : ''})${s.stale ? ' stale' : ''}\n`);
        process.stdout.write(`imported:  ${s.importedAt}\n`);
        process.stdout.write(`source:    ${s.source}\n`);
        for (const [eco, e] of Object.entries(s.ecosystems)) {
          process.stdout.write(`  ${eco.padEnd(12)} ${String(e.records).padStart(7)} records  ${String(e.packages).padStart(6)} packages  newest ${e.newest ?? 'unknown'}${e.checkedAt ? `  checked ${e.checkedAt}` : ''}\n`);
        }
      }
      if (s.stale) process.stderr.write(colors.yellow(`distill: warning: the database is older than 7 days; run \`distill db update\`\n`));
    });
}
