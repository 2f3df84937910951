/** `distill export IMAGE DIR`: the image's final filesystem, safely extracted into DIR. */
import type { Command } from 'commander';
import { openImage } from '../../oci/reference.ts';
import { extractImage } from '../../layers/extract.ts';
import { asDistillError, escapeControl } from '../../util/errors.ts';
import { printJson, type CommonOptions, expansionFlags } from '../output.ts';

interface ExportCliOptions extends CommonOptions {
  platform?: string;
  keepSetuid?: boolean;
  preserveOwners?: boolean;
}

/** Registers `distill export`. */
export function register(program: Command): void {
  expansionFlags(program.command('export'))
    .description('extract an image\'s final filesystem into a new directory, safely')
    .argument('<image>', 'oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, podman:NAME, docker:NAME')
    .argument('<dir>', 'target directory; must not exist or be empty')
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image')
    .option('--keep-setuid', 'keep setuid/setgid bits (dropped by default)')
    .option('--preserve-owners', 'apply the image\'s numeric uid/gid to every entry (needs root)')
    .option('--json', 'print a JSON summary (dir, counts, warnings)')
    .option('-q, --quiet', 'print nothing on success, no warnings')
    .addHelpText(
      'after',
      `
Nothing is ever written outside DIR: '..' in names or hard-link targets, paths through symlinks and
hard links to missing files are errors; symlinks are created as they are and never followed;
device nodes and fifos are skipped with a warning. The tree is built beside DIR and renamed into
place, so on error DIR is left as it was.

Exit codes: 0 ok, 2 bad reference, broken or hostile image (one line on stderr).

Example:
  distill export oci:./out:app ./rootfs`,
    )
    .action(async (ref: string, dir: string, opts: ExportCliOptions) => {
      const image = await openImage(ref, { platform: opts.platform }).catch((e: unknown) => {
        throw asDistillError(e, ref);
      });
      const warn = opts.quiet || opts.json ? undefined : (m: string) => process.stderr.write(`distill: warning: ${escapeControl(m)}\n`);
      const r = await extractImage(image, dir, {
        keepSpecialBits: opts.keepSetuid,
        preserveOwners: opts.preserveOwners,
        ...(warn ? { onWarning: warn } : {}),
      }).catch((e: unknown) => {
        throw asDistillError(e, ref);
      });
      if (opts.json) printJson({ schemaVersion: 1, reference: ref, ...r });
      else if (!opts.quiet) process.stdout.write(`exported ${r.files} files, ${r.dirs} directories, ${r.symlinks} symlinks, ${r.hardlinks} hard links to ${escapeControl(r.dir)}${r.skipped ? ` (${r.skipped} special files skipped)` : ''}\n`);
    });
}
