/**
 * Layer compression: detect by magic bytes, decompress and compress as streams.
 * gzip via node:zlib; zstd decode via fzstd (see ZstdDecodeStream for why not zstddec), zstd encode via @bokuweb/zstd-wasm.
 */
import { createGunzip, createGzip, constants as zc } from 'node:zlib';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { Decompress as FzstdDecompress } from 'fzstd';
import type { Compression } from '../oci/mediatypes.ts';

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
      return createGunzip({ chunkSize: 64 * 1024 });
    case 'zstd':
      return new ZstdDecodeStream();
    case 'none':
      return new PassThrough();
  }
}

/** A transform that compresses with gzip at a fixed level, so output bytes are reproducible. */
export function gzipCompressor(level = 6): Transform {
  return createGzip({ level, memLevel: 8, strategy: zc.Z_DEFAULT_STRATEGY });
}

/** Pipes `input` through the decompressor, forwarding source errors to the result. */
export function decompress(input: Readable, compression: Compression): Readable {
  const out = decompressor(compression);
  input.on('error', (e) => out.destroy(e));
  return input.pipe(out);
}

/**
 * zstd streaming decoder over fzstd's push API. zstddec's streaming entry takes a synchronous
 * iterable, which cannot wait for the next chunk of a Node stream, so it cannot decode a layer
 * without holding it whole; fzstd decodes chunk by chunk.
 */
class ZstdDecodeStream extends Transform {
  private readonly inner = new FzstdDecompress((data: Uint8Array) => {
    this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.inner.push(chunk);
      cb();
    } catch (e) {
      cb(new Error(`zstd: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.inner.push(new Uint8Array(0), true);
      cb();
    } catch (e) {
      cb(new Error(`zstd: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
}
