/**
 * Layer implementations over "a function that opens the stored bytes": the same code serves OCI
 * layouts, archives, registries and freshly written layer files. Every stream is verified.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { DigestStream, type Digest } from './digest.ts';
import { ownsChunks, ThreadDigestStream } from './digest-thread.ts';
import type { Layer } from './image.ts';
import { layerCompression, MediaType } from './mediatypes.ts';
import type { Descriptor } from './types.ts';
import { decompress, detectCompression } from './compression.ts';
import { ExpansionGuard } from './expansion.ts';
import { DistillError } from '../util/errors.ts';

export type Opener = () => Promise<Readable>;

/** Pipes `src` through `t`, forwarding errors from `src` so the consumer sees them. */
export function chain<T extends NodeJS.ReadWriteStream & Readable>(src: Readable, t: T): T {
  src.on('error', (e) => t.destroy(e));
  // A check can fail before anyone reads the result (a small blob is hashed whole while the
  // caller still awaits something else): the error stays on the destroyed stream for its reader
  // (pipeline and for-await report it), instead of crashing the process as an unheard 'error'.
  t.on('error', () => {});
  // A reader that gives up (destroys the result) frees the source too: its file or connection.
  t.once('close', () => {
    if (!src.readableEnded) src.destroy();
  });
  return src.pipe(t);
}

/** Reads the first `n` bytes of a freshly opened stream without consuming it for others. */
async function peek(open: Opener, n: number): Promise<Buffer> {
  const s = await open();
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const done = () => {
      s.destroy();
      resolve(Buffer.concat(chunks).subarray(0, n));
    };
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) done();
    });
    s.on('end', done);
    s.on('error', reject);
  });
}

/** The blob `desc` describes, opened by `open`; the stream errors at its end unless it matches. */
export async function openVerified(desc: Descriptor, open: Opener, what = `layer ${desc.digest}`): Promise<Readable> {
  const src = await open();
  const expected = { digest: desc.digest, size: desc.size, what };
  return chain(src, ownsChunks(src) && desc.size >= THREAD_HASH_MIN ? new ThreadDigestStream(expected) : new DigestStream(expected));
}

/** Blobs at least this large, from sources that own their chunks, are hashed on a worker thread. */
export const THREAD_HASH_MIN = 4 * 1024 * 1024;

/** A layer whose stored blob is opened by `open` and described by `desc`. */
export function blobLayer(desc: Descriptor, diffId: Digest, open: Opener): Layer {
  const what = `layer ${desc.digest}`;
  const declared = layerCompression(desc.mediaType);
  if (declared === undefined) {
    throw new DistillError(what, `unsupported layer media type ${desc.mediaType}`, { code: 'E_UNSUPPORTED' });
  }
  const compressed = () => openVerified(desc, open, what);
  return {
    digest: desc.digest,
    diffId,
    size: desc.size,
    mediaType: desc.mediaType,
    compressed,
    async uncompressed() {
      // Trust the bytes over the label: some writers label gzip layers as plain tar and vice versa.
      const actual = detectCompression(await peek(open, 4));
      const c = actual === 'none' ? declared : actual;
      const tar = chain(decompress(await compressed(), c), new ExpansionGuard(what, desc.size));
      return chain(tar, new DigestStream({ digest: diffId, what: `${what} (diff_id ${diffId})` }));
    },
  };
}

/** A layer from a file on disk, e.g. what the layer writer produced. */
export function fileLayer(file: string, info: { digest: Digest; diffId: Digest; size: number; mediaType?: string }): Layer {
  return blobLayer(
    { mediaType: info.mediaType ?? MediaType.OciLayerGzip, digest: info.digest, size: info.size },
    info.diffId,
    async () => createReadStream(file, { highWaterMark: 256 * 1024 }),
  );
}

/** Buffers a whole small stream (manifests, configs, index files — never layers). */
export async function readSmall(stream: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > limit) {
      stream.destroy();
      throw new DistillError(what, `larger than ${limit} bytes; refusing to read it as JSON`, { code: 'E_REFUSED' });
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses JSON bytes, naming the input on failure. */
export function parseJson<T>(bytes: Uint8Array, what: string): T {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (v === null || typeof v !== 'object') throw new Error('not a JSON object');
    return v as T;
  } catch (e) {
    throw new DistillError(what, `invalid JSON: ${e instanceof Error ? e.message : String(e)}`, { code: 'E_INPUT' });
  }
}
