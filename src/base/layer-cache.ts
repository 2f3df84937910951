/**
 * A cache of finished package layers, keyed by everything that determines their bytes: the
 * generator version, the exact .debs (by sha256), the Node.js tarball integrity, the flavour's
 * symlinks, extra files (by content hash) and the timestamp. A warm rebuild from a lockfile then
 * copies one verified blob instead of decompressing every data.tar again. The blob is stored in
 * the content-addressed blob cache and read through `fileLayer`, so it is verified on every read.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDigest, type Digest } from '../oci/digest.ts';
import type { Layer } from '../oci/image.ts';
import { fileLayer } from '../oci/layer.ts';
import { cacheDir, cachePath, putFile } from '../util/cache.ts';
import { writeFileAtomic } from '../util/files.ts';

/** Bump when the layer's content rules change (what is dropped, generated files, order). */
export const LAYER_GENERATOR = 'distill-base-layer/2';

interface Meta {
  digest: Digest;
  diffId: Digest;
  size: number;
}

/** The cache key of a layer built from `inputs` (any JSON-serialisable description). */
export function layerKey(inputs: unknown): string {
  return createHash('sha256').update(JSON.stringify({ generator: LAYER_GENERATOR, inputs })).digest('hex');
}

function metaPath(key: string): string {
  return join(cacheDir(), 'layers', `${key}.json`);
}

/** The cached layer for `key`, if its metadata and blob are there (the blob is verified when read). */
export function cachedLayer(key: string): Layer | undefined {
  const mp = metaPath(key);
  if (!existsSync(mp)) return undefined;
  try {
    const m = JSON.parse(readFileSync(mp, 'utf8')) as Meta;
    const digest = parseDigest(m.digest);
    const blob = cachePath('blobs', digest);
    if (!existsSync(blob) || statSync(blob).size !== m.size) return undefined;
    return fileLayer(blob, { digest, diffId: parseDigest(m.diffId), size: m.size });
  } catch {
    return undefined;
  }
}

/** Stores a freshly written layer file under `key`; returns the cached layer. */
export async function storeLayer(key: string, file: string, layer: Layer): Promise<Layer> {
  const blob = await putFile('blobs', layer.digest, file);
  mkdirSync(join(cacheDir(), 'layers'), { recursive: true });
  await writeFileAtomic(metaPath(key), JSON.stringify({ digest: layer.digest, diffId: layer.diffId, size: layer.size } satisfies Meta));
  return fileLayer(blob, { digest: layer.digest, diffId: layer.diffId, size: layer.size });
}
