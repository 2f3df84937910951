import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { compressedSize } from '../../src/oci/layer-size.ts';
import type { Layer } from '../../src/oci/image.ts';

function layer(mediaType: string, bytes: Buffer): Layer {
  return {
    digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
    diffId: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
    size: bytes.length,
    mediaType,
    compressed: async () => Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
    uncompressed: async () => Readable.from([bytes]),
  } as Layer;
}

// Text-like content compresses well, as a real layer's files do.
const tar = Buffer.from('usr/lib/node_modules/npm/lib/commands/install.js\n'.repeat(4000));

test('a plain-tar layer (an engine\'s store) is measured gzipped, not at its tar size', async () => {
  const r = await compressedSize(layer('application/vnd.docker.image.rootfs.diff.tar', tar));
  assert.equal(r.gzipped, true);
  assert.equal(r.bytes, gzipSync(tar, { level: 6 }).length);
  assert.ok(r.bytes < tar.length / 10);
});

test('a compressed layer is its descriptor size, without reading it', async () => {
  const l = { ...layer('application/vnd.oci.image.layer.v1.tar+gzip', tar), compressed: () => Promise.reject(new Error('read')) } as Layer;
  assert.deepEqual(await compressedSize(l), { bytes: tar.length, gzipped: false });
});
