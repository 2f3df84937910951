/**
 * Layer compression: detect by magic bytes, decompress and compress as streams.
 * gzip via node:zlib; zstd decode via fzstd (see ZstdDecodeStream for why not zstddec), zstd encode via @bokuweb/zstd-wasm.
 */
import { createRequire } from 'node:module';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Decompress as FzstdDecompress } from 'fzstd';
import type { Compression } from './mediatypes.ts';

// node:zlib loads on first use (synchronously, through require): a pull of stored blobs never
// (de)compresses, and every module loaded before its first request delays it.
let zlibModule: typeof import('node:zlib') | undefined;
const zlib = () => (zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib'));

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The compression the first bytes of a blob show. */
export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) return 'gzip';
  if (head.length >= 4 && ZSTD_MAGIC.every((b, i) => head[i] === b)) return 'zstd';
  return 'none';
}

/** A transform that decompresses `compression` (identity for 'none'). */
export function decompressor(compression: Compression): Transform {
  switch (compression) {
    case 'gzip':
      // 256 KiB chunks: each one goes through the expansion guard, the diff_id hash and the tar
      // parser before the next is inflated, so fewer, larger chunks cost less per byte.
      return zlib().createGunzip({ chunkSize: 256 * 1024 });
    case 'zstd':
      return new ZstdDecodeStream();
    case 'none':
      return new PassThrough();
  }
}

/** A transform that compresses with gzip at a fixed level, so output bytes are reproducible. */
export function gzipCompressor(level = 6): Transform {
  return zlib().createGzip({ level, memLevel: 8, strategy: zlib().constants.Z_DEFAULT_STRATEGY });
}

/** Pipes `input` through the decompressor, forwarding source errors to the result. */
export function decompress(input: Readable, compression: Compression): Readable {
  const out = decompressor(compression);
  input.on('error', (e) => out.destroy(e));
  return input.pipe(out);
}

let fzstd: Promise<typeof import('fzstd')> | undefined;

/**
 * zstd streaming decoder over fzstd's push API. zstddec's streaming entry takes a synchronous
 * iterable, which cannot wait for the next chunk of a Node stream, so it cannot decode a layer
 * without holding it whole; fzstd decodes chunk by chunk. fzstd loads with the first chunk: most
 * commands never meet a zstd layer, and importing it costs a few ms of every start-up.
 */
class ZstdDecodeStream extends Transform {
  private inner?: FzstdDecompress;

  private feed(chunk: Uint8Array, final: boolean, cb: TransformCallback): void {
    const push = () => {
      try {
        this.inner!.push(chunk, final);
        cb();
      } catch (e) {
        cb(new Error(`zstd: ${e instanceof Error ? e.message : String(e)}`));
      }
    };
    if (this.inner) return push();
    (fzstd ??= import('fzstd')).then((m) => {
      this.inner ??= new m.Decompress((data: Uint8Array) => {
        this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      });
      push();
    }, cb);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.feed(chunk, false, cb);
  }

  override _flush(cb: TransformCallback): void {
    this.feed(new Uint8Array(0), true, cb);
  }
}
