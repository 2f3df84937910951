/**
 * Copying an image between any two references (crane/skopeo copy): registry references go
 * through the registry client with its options (insecure, chunking, progress); everything else
 * through openImage/writeImage. Backs `distill pull`, `distill push` and `distill copy`.
 */
import type { Readable } from 'node:stream';
import type { Image } from '../image.ts';
import { openImage, parseRef, writeImage } from '../reference.ts';
import { DEFAULT_CONCURRENCY, pushRegistry, readRegistry, RegistryImage, type RegistryOptions } from './registry.ts';
import { initLayout, putBlob, type OpenFrom } from './layout.ts';
import type { Descriptor } from '../types.ts';
import { ManifestImage } from '../manifest-image.ts';
import pLimit from 'p-limit';
import { checkPlatform } from '../platform.ts';
import { parsePlatform } from '../types.ts';
import { asDistillError, isDistillError } from '../../util/errors.ts';

export interface CopyResult {
  /** The destination reference as given (canonical for registries). */
  ref: string;
  /** Digest of the image manifest copied. */
  digest: string;
  /** Manifest + config + layers, in bytes (stored, compressed sizes). */
  size: number;
}

/** Opens `ref` from any transport, registry references with `opts`. */
export async function openAny(ref: string, opts: RegistryOptions = {}): Promise<Image> {
  const r = parseRef(ref);
  if (r.transport !== 'registry') return openImage(ref, { platform: opts.platform });
  if (opts.platform !== undefined) parsePlatform(opts.platform);
  return checkPlatform(await readRegistry(r.name, opts), opts.platform, ref);
}

/**
 * Puts an image's layers into a layout in parallel (the layout writer goes one blob at a time, which
 * leaves a registry connection idle while the disk writes), the config alongside them; writeImage
 * then finds them in place. The first failure cancels the rest, and the copy fails only once every
 * download has removed its temp file: a failed pull leaves nothing half-written in the layout.
 */
async function prefetchLayers(image: Image, dir: string, concurrency: number): Promise<void> {
  // The layout is made while the first requests are out; a blob's file is created only after.
  const layout = initLayout(dir);
  // Its failure is reported through `jobs` below; it must not count as unhandled before that.
  layout.catch(() => {});
  const limit = pLimit(concurrency);
  const descs = (await image.manifest()).layers;
  // Not layers(): it waits for the config (for diff_ids), a round trip before the first layer byte.
  const open = image instanceof ManifestImage ? (i: number) => image.layerBlob(i) : async (i: number) => (await image.layers())[i]!.compressed();
  const streams = new Set<Readable>();
  let failure: { error: unknown } | undefined;
  const cancel = (error: unknown) => {
    failure ??= { error };
    for (const s of streams) s.destroy();
  };
  const track = async (s: Readable) => {
    streams.add(s);
    if (failure) s.destroy();
    await layout;
    return s;
  };
  const opened = async (i: number) => {
    const s = await open(i);
    streams.add(s);
    if (failure) s.destroy();
    await layout;
    return s;
  };
  const jobs: Promise<unknown>[] = [
    layout,
    image.rawConfig(),
    ...descs.map((d, i) => limit(async () => (failure ? undefined : putBlob(dir, d.digest, d.size, () => opened(i), resumeFrom(image, d, track))))),
  ];
  await Promise.allSettled(jobs.map((j) => j.catch(cancel)));
  if (failure) throw failure.error;
}

/** How a download of `d` continues from an offset (a partial blob a killed pull left), where the source can. */
function resumeFrom(image: Image, d: Descriptor, track: (s: Readable) => Promise<Readable>): OpenFrom | undefined {
  if (!(image instanceof RegistryImage)) return undefined;
  return async (offset) => track(await image.openBlobFrom(d, offset));
}

/** Copies the image `src` names to `dst`; errors name the reference they concern. */
export async function copyImage(src: string, dst: string, opts: RegistryOptions = {}): Promise<CopyResult> {
  let image: Image;
  try {
    image = await openAny(src, opts);
  } catch (e) {
    throw asDistillError(e, src);
  }
  const d = parseRef(dst);
  try {
    if (d.transport === 'registry') {
      const res = await pushRegistry(image, d.name, opts);
      return { ref: res.ref, digest: res.digest, size: res.size };
    }
    if (d.transport === 'oci') await prefetchLayers(image, d.path, opts.concurrency ?? DEFAULT_CONCURRENCY);
    await writeImage(image, dst);
    const [raw, cfg, layers] = await Promise.all([image.rawManifest(), image.rawConfig(), image.layers()]);
    return { ref: dst, digest: await image.digest(), size: raw.length + cfg.length + layers.reduce((a, l) => a + l.size, 0) };
  } catch (e) {
    // A blob that fails verification while streaming is the source's fault: name the source,
    // unless the error does already. (A push names its own failures after the destination.)
    const srcName = image instanceof ManifestImage ? image.name : src;
    if (d.transport !== 'registry' && isDistillError(e, 'E_DIGEST_MISMATCH', 'E_SIZE_MISMATCH', 'E_UNSUPPORTED') && !e.input.startsWith(srcName)) {
      throw e.rewrap(src, `${e.input}: ${e.message}`);
    }
    throw asDistillError(e, dst);
  }
}
