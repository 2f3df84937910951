/** `distill needs APPDIR|IMAGE`: what the app's ELF files need at run time, resolved as ld.so would. */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { openImage } from '../../oci/reference.ts';
import { needsOfDir, needsOfImage, type NeedsReport } from '../../needs/index.ts';
import { asDistillError, DistillError, escapeText as e } from '../../util/errors.ts';
import { colors, table, type CommonOptions } from '../output.ts';

interface NeedsCliOptions extends CommonOptions {
  platform?: string;
  base?: string;
  at?: string;
  all?: boolean;
  check?: boolean;
}

/** One line per need: `libc.so.6 -> /lib/…/libc.so.6`, `missing`, or `too old (lacks GLIBCXX_3.4.32)`. */
function needText(n: NeedsReport['files'][number]['needs'][number]): string {
  if (n.status === 'resolved') return `${e(n.name)} -> ${e(n.path ?? '')}`;
  if (n.status === 'missing') return colors.red(`${e(n.name)} MISSING`);
  return colors.red(`${e(n.name)} TOO OLD at ${e(n.path ?? '')} (lacks ${(n.missingVersions ?? []).map(e).join(', ')})`);
}

/** The text form: the app's files (or all with `all`), then the likely needs, then the counts. */
export function needsText(r: NeedsReport, opts: { all?: boolean; quiet?: boolean } = {}): string {
  const out: string[] = [];
  const shown = r.files.filter((f) => opts.all || f.app || !f.ok);
  if (!opts.quiet && shown.length) {
    const t = table(['FILE', 'LINKAGE', 'LOADER', 'NEEDS']);
    for (const f of shown) {
      const loader = f.interpreter ? (f.interpreter.status === 'resolved' ? e(f.interpreter.path) : colors.red(`${e(f.interpreter.path)} MISSING`)) : '-';
      const needs = f.unreadable ? colors.yellow(`unreadable: ${e(f.unreadable)}`) : f.needs.length ? f.needs.map(needText).join('\n') : '(none)';
      t.push([e(f.path), f.linkage, loader, needs]);
    }
    out.push(t.toString());
  }
  if (!opts.quiet && r.hints.length) {
    const t = table(['LIKELY NEEDS', 'STATUS', 'EVIDENCE']);
    for (const h of r.hints) t.push([e(h.what), h.satisfied ? `present: ${e(h.by ?? '')}` : colors.yellow('not found'), `${e(h.evidence.path)}: ${e(h.evidence.found)}`]);
    out.push('', t.toString());
  }
  const s = r.summary;
  out.push(
    '',
    `${colors.bold(e(r.subject))}: ${s.files} ELF files, ${s.ok} resolved, ${s.missing} with missing libraries, ${s.tooOld} with too-old libraries${s.unreadable ? `, ${s.unreadable} unreadable` : ''}; ${s.hintsUnsatisfied} likely needs not found`,
  );
  return out.join('\n') + '\n';
}

/** Whether `target` names an existing directory (an app) rather than an image reference. */
function isDir(target: string): boolean {
  try {
    return statSync(target).isDirectory();
  } catch {
    return false;
  }
}

/** Registers `distill needs`. */
export function register(program: Command): void {
  program
    .command('needs')
    .description('the runtime closure of an app directory or image: every ELF file\'s loader and libraries resolved as ld.so would, symbol versions checked, and likely needs (dlopen, CA bundle, tzdata, passwd, ICU)')
    .argument('<target>', 'an app directory, or an image: oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, podman:NAME, docker:NAME')
    .option('--base <image>', 'with an app directory: resolve it as placed in this image (see --at)')
    .option('--at <path>', 'with --base: where the app directory sits in the image', '/app')
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image')
    .option('--all', 'list every ELF file, not only the app\'s and those with problems')
    .option('--check', 'exit 1 when a need is missing or too old')
    .option('--json', 'print the report as JSON (schemaVersion 1, see docs/commands/needs.md)')
    .option('-q, --quiet', 'print only the summary line')
    .addHelpText(
      'after',
      `
A need is resolved (the path ld.so would load), missing, or too old (the library is there but
lacks a symbol version the file requires, e.g. GLIBCXX_3.4.32). Likely needs come from strings in
the app's own files and are never proof.

Exit codes: 0 ok, 1 with --check when a need is unresolved, 2 bad input (one line on stderr).

Examples:
  distill needs ./target/release
  distill needs ./dist --base oci:./base:nonroot --at /app
  distill needs oci:./out:app --json`,
    )
    .action(async (target: string, opts: NeedsCliOptions) => {
      let r: NeedsReport;
      try {
        if (isDir(target)) {
          const base = opts.base ? await openImage(opts.base, { platform: opts.platform }) : undefined;
          r = await needsOfDir(target, target, { at: opts.at, base });
        } else {
          if (opts.base) throw new DistillError(target, '--base applies to an app directory, and this is not a directory', { code: 'E_USAGE' });
          r = await needsOfImage(await openImage(target, { platform: opts.platform }), target);
        }
      } catch (err) {
        throw asDistillError(err, target);
      }
      const text = opts.json ? JSON.stringify(r, null, 2) + '\n' : needsText(r, opts);
      await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
      if (opts.check && (r.summary.missing || r.summary.tooOld || r.summary.unreadable)) process.exitCode = 1;
    });
}
