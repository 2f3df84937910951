/** `distill inspect IMAGE`: config, layers, sizes, efficiency and largest files of an image. */
import type { Command } from 'commander';
import { openImage } from '../../oci/reference.ts';
import { inspectImage, type InspectReport } from '../../inspect/inspect.ts';
import { describeUser, showUser } from '../../oci/user.ts';
import { asDistillError, DistillError, escapeControl, escapeText as e } from '../../util/errors.ts';
import { colors, humanBytes, table, type CommonOptions, expansionFlags } from '../output.ts';

interface InspectCliOptions extends CommonOptions {
  platform?: string;
  top?: string;
}

const short = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);
const list = (v: string[] | null) => (v === null ? '(none)' : e(JSON.stringify(v)));

/** The text form of a report; every value from the image has its control characters escaped. */
export function inspectText(r: InspectReport, quiet = false): string {
  const out: string[] = [];
  const c = r.config;
  out.push(`${colors.bold('Image')}    ${e(r.reference ?? '')} ${r.digest}`.trimEnd());
  out.push(`Platform  ${e(r.platform)}${r.created ? `   created ${e(r.created)}` : ''}`);
  const u = c.resolvedUser;
  const who = e(describeUser(u));
  const verdict = u.root === true ? colors.red(`runs as root (${who})`) : u.root === false ? colors.green(`non-root (${who})`) : colors.yellow(`root ${who}`);
  out.push(`User      ${c.user === '' ? '(empty)' : e(showUser(c.user))}  ${verdict}`);
  if (!quiet) {
    out.push(`Entrypoint ${list(c.entrypoint)}`);
    out.push(`Cmd       ${list(c.cmd)}`);
    out.push(`Workdir   ${c.workdir === null || c.workdir === undefined ? '(none)' : e(c.workdir)}`);
    out.push(`Ports     ${c.exposedPorts.length ? e(c.exposedPorts.join(', ')) : '(none)'}`);
    out.push(`Env       ${c.env.length ? c.env.map(e).join('\n          ') : '(none)'}`);
    const t = table(['#', 'DIGEST', 'SIZE', 'UNCOMPRESSED', '+ADDED', '~CHANGED', '-REMOVED', 'WASTED', 'CREATED BY']);
    for (const l of r.layers) {
      const by = e((l.createdBy ?? '').replace(/\s+/g, ' '));
      t.push([l.index, short(l.digest), humanBytes(l.size), humanBytes(l.uncompressedSize), l.added, l.modified, l.removed, humanBytes(l.wastedBytes), by.length > 60 ? by.slice(0, 57) + '...' : by]);
    }
    out.push('', t.toString());
  }
  const eff = r.efficiency;
  out.push(
    '',
    `${colors.bold('Total')}    ${r.totals.layers} layers, ${humanBytes(r.totals.compressedSize)} compressed, ${humanBytes(r.totals.uncompressedSize)} uncompressed, ${r.totals.files} files (${humanBytes(r.totals.finalFileBytes)})`,
    `${colors.bold('Efficiency')} ${(eff.score * 100).toFixed(2)}%  wasted ${humanBytes(eff.wastedBytes)} of ${humanBytes(eff.totalFileBytes)} file bytes`,
  );
  if (!quiet && eff.wasted.length) {
    const t = table(['WASTED', 'VERSIONS LOST', 'PATH']);
    for (const w of eff.wasted) t.push([humanBytes(w.bytes), w.count, e(w.path)]);
    out.push('', 'Wasted space (overwritten or removed file versions):', t.toString());
  }
  if (!quiet && r.largestFiles.length) {
    const t = table(['SIZE', 'LAYER', 'PATH']);
    for (const f of r.largestFiles) t.push([humanBytes(f.size), f.layerIndex, e(f.path)]);
    out.push('', 'Largest files:', t.toString());
  }
  return out.join('\n') + '\n';
}

/** Registers `distill inspect`. */
export function register(program: Command): void {
  expansionFlags(program.command('inspect'))
    .description('show an image\'s config, layers, sizes, wasted space and largest files (like dive, non-interactive)')
    .argument('<image>', 'oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, podman:NAME, docker:NAME')
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image')
    .option('--top <n>', 'how many largest files and wasted paths to list', '20')
    .option('--json', 'print the report as JSON (schemaVersion 1, see docs/commands/inspect.md)')
    .option('-q, --quiet', 'print only the summary (user, totals, efficiency)')
    .addHelpText(
      'after',
      `
Efficiency = 1 - wasted / total file bytes, where wasted bytes are file versions a later layer
overwrote or removed; the version an image keeps is never waste.

Exit codes: 0 ok, 2 bad reference or broken image (one line on stderr).

Examples:
  distill inspect oci:./out:app
  distill inspect podman:localhost/app:1 --json`,
    )
    .action(async (ref: string, opts: InspectCliOptions) => {
      const top = Number(opts.top ?? '20');
      if (!Number.isInteger(top) || top < 0) throw new DistillError(`--top ${opts.top}`, 'must be a whole number', { code: 'E_USAGE' });
      const image = await openImage(ref, { platform: opts.platform }).catch((err: unknown) => {
        throw asDistillError(err, ref);
      });
      let r: InspectReport;
      try {
        r = await inspectImage(image, { reference: ref, top });
      } catch (err) {
        throw asDistillError(err, ref);
      }
      const text = opts.json ? JSON.stringify(r, null, 2) + '\n' : inspectText(r, opts.quiet);
      await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
      if (!opts.quiet && !opts.json) for (const w of r.warnings) process.stderr.write(`distill: warning: ${escapeControl(w)}\n`);
    });
}
