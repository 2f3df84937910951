/**
 * The image a command's IMAGE argument names, `dir:PATH` included: every transport through
 * openImage, and a root filesystem directory as a one-layer image, so `audit` and `scan` take
 * every reference `sbom` takes. (The directory form lives here, above mutate and layers, because
 * the oci module below them cannot build a layer.)
 */
import { rmSync } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Image } from '../oci/image.ts';
import { openImage, type OpenOptions } from '../oci/reference.ts';
import { DistillError } from '../util/errors.ts';

/** Opens `ref`; `dir:PATH` becomes an image of one layer holding that tree (removed at exit). */
export async function openImageOrDir(ref: string, opts: OpenOptions = {}): Promise<Image> {
  if (!ref.startsWith('dir:')) return openImage(ref, opts);
  const root = ref.slice('dir:'.length);
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new DistillError(ref, st ? 'not a directory' : 'no such directory', { code: st ? 'E_INPUT' : 'E_NOT_FOUND' });
  const [{ asLayer, layerFromDir }, { appendLayers, emptyImage }] = await Promise.all([import('../layers/writer.ts'), import('../mutate/mutate.ts')]);
  const work = await mkdtemp(join(tmpdir(), 'distill-dir-'));
  process.once('exit', () => rmSync(work, { recursive: true, force: true }));
  const layer = await layerFromDir(root, { dir: work });
  return appendLayers(emptyImage(), { layer: asLayer(layer), history: { created_by: `distill: ${ref}` } });
}
