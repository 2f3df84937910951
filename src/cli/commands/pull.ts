/** `distill pull REF DEST`: download an image from a registry into a layout or archive. */
import type { Command } from 'commander';
import { parseRef } from '../../oci/reference.ts';
import { DistillError } from '../../util/errors.ts';
import { REFS_HELP, runTransfer, transferOptions, type TransferOptions } from './copy.ts';

/** Registers `distill pull`. */
export function register(program: Command): void {
  transferOptions(
    program
      .command('pull')
      .description('pull an image from a registry into oci:DIR[:TAG], oci-archive:FILE or docker-archive:FILE')
      .argument('<ref>', 'registry reference, e.g. 127.0.0.1:5000/app:1 or docker://host/app@sha256:…')
      .argument('<dest>', 'where to write the image, e.g. oci:./images:app'),
  )
    .addHelpText(
      'after',
      `${REFS_HELP}

Blobs are verified against their digests as they stream and written via temp file + rename, so a
corrupt or interrupted download never lands in DEST. Interrupted downloads resume with HTTP Range.

Examples:
  distill pull 127.0.0.1:5000/team/app:1 oci:./images:app
  distill pull registry.example/app:1 oci-archive:app.tar --platform linux/arm64 --json`,
    )
    .action(async (ref: string, dest: string, opts: TransferOptions) => {
      if (parseRef(ref).transport !== 'registry') throw new DistillError(ref, 'not a registry reference; use distill copy for other sources', { code: 'E_USAGE' });
      await runTransfer(ref, dest, opts, 'pulled');
    });
}
