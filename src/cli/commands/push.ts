/** `distill push SRC REF`: upload an image from a layout, archive or podman to a registry. */
import type { Command } from 'commander';
import { parseRef } from '../../oci/reference.ts';
import { DistillError } from '../../util/errors.ts';
import { REFS_HELP, runTransfer, transferOptions, type TransferOptions } from './copy.ts';

/** Registers `distill push`. */
export function register(program: Command): void {
  transferOptions(
    program
      .command('push')
      .description('push an image to a registry; the pushed digest equals the local one')
      .argument('<src>', 'image to push, e.g. oci:./out:app, oci-archive:app.tar, podman:app')
      .argument('<ref>', 'registry reference, e.g. 127.0.0.1:5000/team/app:1'),
  )
    .addHelpText(
      'after',
      `${REFS_HELP}

Blobs the registry already has are skipped (HEAD); blobs of an image pulled from another
repository of the same registry are mounted instead of uploaded. Blobs above --chunk-threshold
are uploaded in chunks; the manifest bytes are pushed as they are, so the digest does not change.

Examples:
  distill push oci:./out:app 127.0.0.1:5000/team/app:1
  distill push oci-archive:app.tar registry.example/team/app:1 --json`,
    )
    .action(async (src: string, ref: string, opts: TransferOptions) => {
      if (parseRef(ref).transport !== 'registry') throw new DistillError(ref, 'not a registry reference; use distill copy for other destinations', { code: 'E_USAGE' });
      await runTransfer(src, ref, opts, 'pushed');
    });
}
