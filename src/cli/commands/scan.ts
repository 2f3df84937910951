/**
 * `distill scan IMAGE`: the image's packages matched against the OSV database.
 *
 * The Debian archive client (--pending-updates, OpenPGP) and the SARIF and CycloneDX writers are
 * imported only when asked for: loading them costs more than a whole table or JSON scan.
 */
import { Option, type Command } from 'commander';
import { openImageOrDir } from '../open.ts';
import { scanImage } from '../../vuln/image.ts';
import { exceedsThreshold } from '../../vuln/scan.ts';
import { resolveOsvSource } from '../../vuln/source.ts';
import { osvProgress } from './db.ts';
import { parseSeverityLevel, SEVERITY_LEVELS, type SeverityLevel } from '../../vuln/severity.ts';
import { DistillError } from '../../util/errors.ts';
import { colors, printJson, table, type CommonOptions } from '../output.ts';

interface ScanCliOptions extends CommonOptions {
  format: 'table' | 'json' | 'sarif' | 'cyclonedx';
  severity?: string;
  ignoreUnfixed?: boolean;
  failOn?: string;
  ignoreFile?: string;
  db?: string;
  platform?: string;
  pendingUpdates?: boolean;
  mirror?: string;
  offline?: boolean;
}

const paint: Partial<Record<SeverityLevel, (s: string) => string>> = {
  critical: (s) => colors.bold(colors.red(s)),
  high: colors.red,
  medium: colors.yellow,
  low: colors.cyan,
  unknown: colors.dim,
};

function levels(list: string | undefined, flag: string): SeverityLevel[] | undefined {
  if (!list) return undefined;
  return list.split(',').map((s) => {
    const l = parseSeverityLevel(s.trim());
    if (!l) throw new DistillError(`${flag} ${s}`, `unknown severity; use ${SEVERITY_LEVELS.join(', ')}`, { code: 'E_USAGE' });
    return l;
  });
}

/** Registers `distill scan`. */
export function register(program: Command): void {
  program
    .command('scan')
    .description('match the packages of an image against the OSV vulnerability database')
    .argument('<image>', 'image reference (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, podman:NAME, …)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'sarif', 'cyclonedx']).default('table'))
    .option('--json', 'same as --format json')
    .option('--severity <levels>', 'only these severities, comma-separated (e.g. high,critical)')
    .option('--ignore-unfixed', 'hide vulnerabilities that have no fixed version yet')
    .option('--fail-on <severity>', 'exit 1 when a vulnerability at or above this severity remains')
    .option('--ignore-file <file>', 'ignore/VEX file: [{id, package?, reason, expires?}]')
    .option('--db <dir>', 'OSV database directory (default: the one in the cache)')
    .option('--offline', 'never touch the network: scan with the DB as it is (also DISTILL_OFFLINE=1)')
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image (default linux/amd64)')
    .option('--pending-updates', 'Debian images: list newer versions in the updates and security suites, with the CVEs their changelogs name')
    .option('--mirror <url>', 'Debian archive root for --pending-updates (default: the system apt sources)')
    .option('-q, --quiet', 'print only the summary line')
    .addHelpText(
      'after',
      `
The ecosystems the image needs (Debian, npm, PyPI, …) are fetched from the OSV source on first use
and re-checked once the refresh interval (24h) has passed; see \`distill db --help\` for the source.
Severity is the advisory's own rating when it has one, else the CVSS v3/v4 base score band; the
source is always shown. Packages that cannot be matched (no ecosystem, unknown distro) are listed
as not covered rather than reported clean. --format cyclonedx writes a CycloneDX 1.6 BOM with the
image's components and a vulnerabilities section (ratings, CVE references, fixes, affected
components; ignored findings keep the ignore rule's reason as their analysis).

Exit status: 0 nothing at or above --fail-on (or no --fail-on); 1 something is; 2 bad input or no DB.`,
    )
    .action(async (ref: string, opts: ScanCliOptions) => {
      const format = opts.json ? 'json' : opts.format;
      const failOn = opts.failOn ? levels(opts.failOn, '--fail-on')![0] : undefined;
      const image = await openImageOrDir(ref, { platform: opts.platform });
      const progress = osvProgress(Boolean(opts.quiet) || format !== 'table');
      const r = await scanImage(image, ref, {
        update: resolveOsvSource({ offline: opts.offline }),
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        ...(opts.db ? { dbDir: opts.db } : {}),
        ...(opts.severity ? { severity: levels(opts.severity, '--severity') } : {}),
        ...(opts.ignoreUnfixed ? { ignoreUnfixed: true } : {}),
        ...(opts.ignoreFile ? { ignoreFile: opts.ignoreFile } : {}),
      });
      progress.done();
      const pending = opts.pendingUpdates ? await (await import('../../vuln/pending.ts')).pendingUpdates(r.sbom, { ...(opts.mirror ? { mirror: opts.mirror } : {}), progress: !opts.quiet && Boolean(process.stderr.isTTY) }) : undefined;
      const { sbom: _sbom, ...rest } = r;
      if (format === 'json') printJson(pending ? { ...rest, pendingUpdates: pending.updates, pendingNotes: pending.notes } : rest);
      else if (format === 'sarif') printJson((await import('../../report/scan-sarif.ts')).scanToSarif(r));
      else if (format === 'cyclonedx') process.stdout.write((await import('../../report/scan-cyclonedx.ts')).scanToCycloneDxJson(r));
      else {
        const c = r.counts;
        const dbNote = r.db ? `; OSV DB of ${r.db.dbDate?.slice(0, 10) ?? 'unknown date'}${r.db.stale ? ' (stale)' : ''}` : '';
        const pendingNote = pending ? `; ${pending.updates.length} pending update(s)` : '';
        const summary = `${ref}: ${r.packages} packages, ${r.totals.total} vulnerabilities (critical ${c.critical}, high ${c.high}, medium ${c.medium}, low ${c.low}, unknown ${c.unknown}; ${r.totals.fixed} fixed, ${r.totals.unfixed} unfixed)${pendingNote}${dbNote}`;
        if (!opts.quiet && r.vulnerabilities.length) {
          const t = table(['severity', 'id', 'package', 'installed', 'fixed in', 'summary']);
          for (const v of r.vulnerabilities) {
            const sev = `${v.severity.level}${v.severity.score !== undefined ? ` ${v.severity.score.toFixed(1)}` : ''}`;
            t.push([(paint[v.severity.level] ?? ((s: string) => s))(sev), v.id, v.package.name, v.installedVersion, v.fixedVersions[0] ?? colors.dim('no fix'), (v.summary || '').slice(0, 60)]);
          }
          process.stdout.write(t.toString() + '\n');
        }
        process.stdout.write(summary + '\n');
        if (pending) {
          if (pending.updates.length) {
            const t = table(['package', 'installed', 'available', 'CVEs fixed']);
            for (const u of pending.updates) t.push([u.package, u.installed, u.available, u.cves.length ? u.cves.slice(0, 6).join(' ') + (u.cves.length > 6 ? ` (+${u.cves.length - 6})` : '') : colors.dim('none named')]);
            process.stdout.write(t.toString() + '\n');
          }
          process.stdout.write(`${pending.updates.length} pending update(s) from the updates/security suites\n`);
        }
        if (!opts.quiet) {
          for (const w of [...r.warnings, ...r.sbomWarnings]) process.stderr.write(`distill: warning: ${w}\n`);
          if (r.unmatched.length) process.stderr.write(`distill: note: ${r.unmatched.length} package(s) not covered by OSV (e.g. ${r.unmatched.slice(0, 3).map((u) => `${u.name} ${u.version}: ${u.reason}`).join('; ')})\n`);
        }
      }
      if (failOn && exceedsThreshold(r, failOn)) process.exitCode = 1;
    });
}
