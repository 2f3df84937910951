/**
 * Small images for tests, built in-process: a layer from a list of entries (tar-stream, gzip,
 * mtime 0) and an image from layers. Deterministic, so tests can compare digests.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tarStream from 'tar-stream';
import { createGzip } from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import { DigestStream } from '../../src/oci/digest.ts';
import { fileLayer } from '../../src/oci/layer.ts';
import type { Image, Layer } from '../../src/oci/image.ts';
import { appendLayers, emptyImage, setConfig, type RunConfigPatch } from '../../src/mutate/mutate.ts';

export interface TestEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device';
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
  uid?: number;
  gid?: number;
}

let counter = 0;
const made: string[] = [];

/**
 * A fresh temp dir with a lowercase name (podman names `oci:` images after their path), removed
 * when the test process exits (each test file is its own process) unless DISTILL_KEEP_TEST_DIRS
 * is set: a suite that builds images leaves gigabytes behind otherwise.
 */
export function tempDir(prefix = 'distill-test-'): string {
  const dir = join(tmpdir(), `${prefix}${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  if (made.length === 0 && !process.env.DISTILL_KEEP_TEST_DIRS) {
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true, maxRetries: 2 });
    });
  }
  made.push(dir);
  return dir;
}

/** Writes the entries as a gzip tar layer to a temp file and returns it as a Layer. */
export async function makeLayer(entries: TestEntry[], opts: { gzip?: boolean } = {}): Promise<Layer> {
  const dir = tempDir('distill-layer-');
  const file = join(dir, `layer-${counter++}.tar${opts.gzip === false ? '' : '.gz'}`);
  const pack = tarStream.pack();
  const diff = new DigestStream();
  const comp = new DigestStream();
  const done = opts.gzip === false
    ? pipeline(pack, diff, comp, createWriteStream(file))
    : pipeline(pack, diff, createGzip({ level: 6 }), comp, createWriteStream(file));
  for (const e of entries) {
    const body = e.content === undefined ? undefined : Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content);
    const header = {
        name: e.name,
        type: e.type ?? 'file',
        mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644),
        mtime: new Date(0),
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        linkname: e.linkname,
        size: body?.length ?? 0,
      };
    if (body === undefined) pack.entry(header);
    else pack.entry(header, body);
  }
  pack.finalize();
  await done;
  return fileLayer(file, {
    digest: comp.digest(),
    diffId: diff.digest(),
    size: comp.bytes,
    mediaType: opts.gzip === false ? 'application/vnd.oci.image.layer.v1.tar' : undefined,
  });
}

/** An image of the given layers (each a list of entries) with a run config. */
export async function makeImage(layers: TestEntry[][], config: RunConfigPatch = {}): Promise<Image> {
  let img = emptyImage();
  for (const l of layers) img = appendLayers(img, { layer: await makeLayer(l), history: { created_by: `test layer`, created: '1970-01-01T00:00:00Z' } });
  return setConfig(img, config);
}

/** Hashes a file (for comparing outputs byte for byte). */
export async function fileDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}
