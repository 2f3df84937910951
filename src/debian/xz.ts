/**
 * xz decompression as a Node stream, over xz-decompress (WebAssembly liblzma port that handles the
 * CRC64 check Debian's xz uses). The library speaks web streams; this adapts both ends.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import xzModule from 'xz-decompress';

const { XzReadableStream } = xzModule as unknown as {
  XzReadableStream: new (s: WebReadableStream<Uint8Array>) => WebReadableStream<Uint8Array>;
};

/** Decompresses an xz stream chunk by chunk; errors of `input` or of the decoder end the result. */
export function xzDecompress(input: Readable): Readable {
  const web = Readable.toWeb(input) as unknown as WebReadableStream<Uint8Array>;
  const out = Readable.fromWeb(new XzReadableStream(web));
  input.on('error', (e) => out.destroy(e));
  return out;
}
