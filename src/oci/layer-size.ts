/**
 * The compressed size of a layer as a registry would hold it. Layouts and registries store layers
 * compressed, so their descriptor size is the answer; an engine's store (`podman save`, `docker
 * save`) hands layers over as plain tar, whose size is the uncompressed one — comparing that with
 * a gzip layer would overstate one image against the other. Those are gzipped here (level 6, what
 * `podman push` and `docker push` use) and counted, never kept.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Layer } from './image.ts';
import { layerCompression } from './mediatypes.ts';

/** The layer's compressed bytes, and whether distill had to gzip it to know them. */
export async function compressedSize(layer: Layer): Promise<{ bytes: number; gzipped: boolean }> {
  if (layerCompression(layer.mediaType) !== 'none') return { bytes: layer.size, gzipped: false };
  let bytes = 0;
  const count = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  });
  await pipeline(await layer.compressed(), createGzip({ level: 6 }), count);
  return { bytes, gzipped: true };
}
