/** `distill sbom IMAGE`: list the packages in an image (or a directory) as a table, JSON, CycloneDX or SPDX. */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { sbomFor, sbomJson, type Sbom } from '../../analyze/sbom.ts';
import { toCycloneDxJson } from '../../report/cyclonedx.ts';
import { toSpdxJson } from '../../report/spdx.ts';
import { codeOf, DistillError, escapeControl, escapeText as e } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/files.ts';
import { colors, type CommonOptions, expansionFlags } from '../output.ts';

const FORMATS = ['table', 'json', 'cyclonedx', 'spdx'] as const;
type Format = (typeof FORMATS)[number];

interface SbomOptions extends CommonOptions {
  format?: string;
  output?: string;
  platform?: string;
}

/** The table form: one row per package, then a count per type; values from the image escaped. */
export function sbomTable(s: Sbom): string {
  const t = new Table({ head: ['NAME', 'VERSION', 'TYPE', 'LOCATION'], style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  for (const p of s.packages) t.push([e(p.name), e(p.version), e(p.declared ? `${p.type}, declared (${p.declared})${p.dev ? ', dev' : ''}` : p.type), e(p.locations[0] ?? '')]);
  const counts = new Map<string, number>();
  for (const p of s.packages) counts.set(p.type, (counts.get(p.type) ?? 0) + 1);
  const per = [...counts].map(([k, v]) => `${e(k)} ${v}`).join(', ');
  const os = s.distro ? (s.distro.prettyName ?? `${s.distro.id} ${s.distro.versionId ?? ''}`.trim()) : 'unknown';
  return `${s.packages.length ? t.toString() + '\n' : ''}${colors.bold(`${s.packages.length} packages`)}${per ? ` (${per})` : ''}; OS: ${e(os)}\n`;
}

/** Renders an SBOM in one of the formats. */
export function renderSbom(s: Sbom, format: Format): string {
  switch (format) {
    case 'table':
      return sbomTable(s);
    case 'json':
      return JSON.stringify(sbomJson(s), null, 2) + '\n';
    case 'cyclonedx':
      return toCycloneDxJson(s);
    case 'spdx':
      return toSpdxJson(s);
  }
}

/** Writes the output file atomically, so readers never see half a file; failures name the file. */
async function writeAtomic(file: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(file, text);
  } catch (e) {
    throw new DistillError(file, `cannot write: ${(e as Error).message}`, { code: codeOf(e) });
  }
}

/** Registers `distill sbom`. */
export function register(program: Command): void {
  expansionFlags(program.command('sbom'))
    .description('list the packages in an image: dpkg, apk, rpm, npm, Python, Go, Java, Node.js binary')
    .argument('<image>', 'oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, podman:NAME, docker:NAME, or dir:PATH (a root filesystem)')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')}`, 'table')
    .option('--json', 'same as --format json (distill\'s own stable schema)')
    .option('-o, --output <file>', 'write the output to FILE instead of stdout')
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image')
    .option('-q, --quiet', 'print no warnings or summary (the output itself is still written)')
    .addHelpText(
      'after',
      `
Formats: table (default), json (schemaVersion 1: source, distro, packages[], warnings[]),
cyclonedx (CycloneDX 1.6 JSON), spdx (SPDX 2.3 JSON). Packages come from the image's final
filesystem: files deleted or replaced by later layers do not count. Warnings (to stderr) say what
was not read, e.g. a damaged rpm database.

Examples:
  distill sbom oci-archive:app.tar
  distill sbom podman:localhost/app:1 --format cyclonedx -o app.cdx.json
  distill sbom dir:./rootfs --json`,
    )
    .action(async (ref: string, opts: SbomOptions) => {
      const format = (opts.json ? 'json' : (opts.format ?? 'table')) as Format;
      if (!FORMATS.includes(format)) throw new DistillError(`--format ${opts.format}`, `unknown format; use one of ${FORMATS.join(', ')}`, { code: 'E_USAGE' });
      const s = await sbomFor(ref, { platform: opts.platform });
      const text = renderSbom(s, format);
      if (opts.output) await writeAtomic(opts.output, text);
      // Wait for the pipe to take it all: the CLI exits right after the action returns, and
      // process.exit drops what is still queued on a piped stdout.
      else await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
      if (!opts.quiet && format !== 'json') for (const w of s.warnings) process.stderr.write(`distill: warning: ${escapeControl(w)}\n`);
      if (opts.output && !opts.quiet && format !== 'table') process.stderr.write(`wrote ${s.packages.length} packages to ${escapeControl(opts.output)}\n`);
    });
}
