/**
 * Tar archives of images: `oci-archive:` (a tarred OCI layout) and `docker-archive:` (what
 * `docker save` / `podman save` write: manifest.json, a config JSON and one tar per layer).
 * Reading indexes the archive once and streams members by offset; writing streams blobs into a
 * tar-stream pack that goes to a temp file renamed into place.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open as openFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { hexOf, sha256, DigestStream, type Digest } from '../digest.ts';
import type { Image, Layer } from '../image.ts';
import { chain, parseJson } from '../layer.ts';
import { MediaType } from '../mediatypes.ts';
import { ManifestImage, MAX_JSON_BYTES, parseConfig } from '../manifest-image.ts';
import type { Descriptor, Manifest } from '../types.ts';
import { TarArchive } from './tarindex.ts';
import { readLayoutSource, REF_NAME, type LayoutSource, type ReadOptions } from './layout.ts';
import { decompress, detectCompression } from '../compression.ts';
import { DistillError } from '../../util/errors.ts';
import { pipeToFile, tempBeside } from '../../util/files.ts';

async function head(file: string, n: number): Promise<Buffer> {
  const fh = await openFile(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const { bytesRead } = await fh.read(b, 0, n, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Opens an archive, first decompressing it to a temp file when it is gzip or zstd. */
async function openArchive(file: string, name: string): Promise<TarArchive> {
  try {
    await stat(file);
  } catch {
    throw new DistillError(name, 'no such file', { code: 'E_NOT_FOUND' });
  }
  const c = detectCompression(await head(file, 4));
  if (c === 'none') return TarArchive.open(file, name);
  const dir = await mkdtemp(join(tmpdir(), 'distill-archive-'));
  const plain = join(dir, 'archive.tar');
  await pipeToFile(plain, decompress(createReadStream(file), c));
  process.once('exit', () => void rm(dir, { recursive: true, force: true }));
  return TarArchive.open(plain, name);
}

/** Reads the image tagged `tag` (or the only one) from an OCI archive. */
export async function readOciArchive(file: string, opts: ReadOptions = {}): Promise<Image> {
  const name = `oci-archive:${file}${opts.tag ? ':' + opts.tag : ''}`;
  const ar = await openArchive(file, name);
  const src: LayoutSource = {
    async readSmall(path) {
      return ar.has(path) ? ar.read(path, MAX_JSON_BYTES) : undefined;
    },
    async openBlob(desc) {
      const p = `blobs/sha256/${hexOf(desc.digest)}`;
      if (!ar.has(p)) throw new DistillError(name, `missing blob ${desc.digest}`, { code: 'E_NOT_FOUND' });
      return ar.stream(p);
    },
  };
  return readLayoutSource(src, name, opts);
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Reads an image from a `docker save` archive; `tag` picks among several (`name:tag`). */
export async function readDockerArchive(file: string, opts: { tag?: string } = {}): Promise<Image> {
  const name = `docker-archive:${file}${opts.tag ? ':' + opts.tag : ''}`;
  const ar = await openArchive(file, name);
  if (!ar.has('manifest.json')) throw new DistillError(name, 'not a docker archive (no manifest.json)', { code: 'E_INPUT' });
  const entries = parseJson<DockerManifestEntry[]>(await ar.read('manifest.json', MAX_JSON_BYTES), `${name} manifest.json`);
  if (!Array.isArray(entries) || entries.length === 0) throw new DistillError(name, 'manifest.json lists no images', { code: 'E_INPUT' });
  let entry = entries[0]!;
  if (opts.tag) {
    const want = normaliseRepoTag(opts.tag);
    const found = entries.find((e) => e.RepoTags?.some((t) => t === want || t.endsWith('/' + want)));
    if (!found) throw new DistillError(name, `no image tagged "${want}"; tags: ${entries.flatMap((e) => e.RepoTags ?? []).join(', ') || 'none'}`, { code: 'E_NOT_FOUND' });
    entry = found;
  } else if (entries.length > 1) {
    throw new DistillError(name, `archive holds ${entries.length} images; name one: ${entries.flatMap((e) => e.RepoTags ?? []).join(', ')}`, { code: 'E_INPUT' });
  }
  if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) throw new DistillError(name, 'manifest.json entry lacks Config or Layers', { code: 'E_INPUT' });
  const rawConfig = await ar.read(entry.Config, MAX_JSON_BYTES);
  const config = parseConfig(rawConfig, `${name} config`, entry.Layers.length);
  const layers: Descriptor[] = [];
  const paths = new Map<Digest, string>();
  for (let i = 0; i < entry.Layers.length; i++) {
    const path = entry.Layers[i]!;
    const m = ar.member(path);
    const c = detectCompression(await readStart(ar.stream(path)));
    let digest: Digest;
    let mediaType: string;
    if (c === 'none') {
      digest = config.rootfs.diff_ids[i]!; // an uncompressed layer's digest is its diff_id
      mediaType = MediaType.DockerLayer;
    } else {
      const ds = chain(ar.stream(path), new DigestStream());
      ds.resume();
      await new Promise<void>((res, rej) => ds.on('end', res).on('error', rej));
      digest = ds.digest();
      mediaType = c === 'gzip' ? MediaType.DockerLayerGzip : MediaType.OciLayerZstd;
    }
    paths.set(digest, path);
    layers.push({ mediaType, digest, size: m.size });
  }
  const configDigest = sha256(rawConfig);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.DockerManifest,
    config: { mediaType: MediaType.DockerConfig, digest: configDigest, size: rawConfig.length },
    layers,
  };
  const raw = Buffer.from(JSON.stringify(manifest));
  return new ManifestImage(raw, async (desc) => {
    if (desc.digest === configDigest) return ar.stream(entry.Config);
    const p = paths.get(desc.digest);
    if (!p) throw new DistillError(name, `missing blob ${desc.digest}`, { code: 'E_NOT_FOUND' });
    return ar.stream(p);
  }, name);
}

async function readStart(s: Readable): Promise<Buffer> {
  for await (const c of s) {
    s.destroy();
    return c as Buffer;
  }
  return Buffer.alloc(0);
}

interface PackEntry {
  name: string;
  size: number;
  open: () => Promise<Readable>;
}

/** Streams entries into a deterministic tar at `target` (via temp file + rename). */
async function packToFile(target: string, entries: PackEntry[]): Promise<void> {
  const tmp = tempBeside(target);
  const pack = tarStream.pack();
  const out = pipeToFile(tmp, pack as unknown as Readable);
  // Its failure is the entry's, reported below; it must not count as unhandled before that.
  out.catch(() => {});
  try {
    for (const e of entries) {
      const src = await e.open();
      await new Promise<void>((resolve, reject) => {
        const w = pack.entry({ name: e.name, size: e.size, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, (err) =>
          err ? reject(err) : resolve(),
        );
        // The entry stream reports a body of the wrong size; the first error wins, none goes unheard.
        w.on('error', reject);
        src.on('error', (err) => {
          reject(err);
          src.unpipe(w);
          w.destroy();
        });
        src.pipe(w);
      });
    }
    pack.finalize();
    await out;
    await rename(tmp, target);
  } catch (err) {
    pack.destroy();
    await out.catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

const bufOpen = (b: Uint8Array) => async () => {
  const { Readable } = await import('node:stream');
  return Readable.from([Buffer.from(b)]);
};

/** Writes `image` as an OCI archive at `file`, tagged `tag`. */
export async function writeOciArchive(image: Image, file: string, tag?: string): Promise<void> {
  const manifest = await image.manifest();
  const rawManifest = await image.rawManifest();
  const rawConfig = await image.rawConfig();
  const layers = await image.layers();
  const cfg = await image.config();
  const digest = await image.digest();
  const desc: Descriptor = {
    mediaType: manifest.mediaType ?? MediaType.OciManifest,
    digest,
    size: rawManifest.length,
    platform: { architecture: cfg.architecture, os: cfg.os },
    ...(tag ? { annotations: { [REF_NAME]: tag } } : {}),
  };
  const index = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [desc] });
  const seen = new Set<string>();
  const blobs: PackEntry[] = [];
  const addBlob = (d: Digest, size: number, open: () => Promise<Readable>) => {
    if (seen.has(d)) return;
    seen.add(d);
    blobs.push({ name: `blobs/sha256/${hexOf(d)}`, size, open });
  };
  for (const l of layers) addBlob(l.digest, l.size, () => l.compressed());
  addBlob(manifest.config.digest, rawConfig.length, bufOpen(rawConfig));
  addBlob(digest, rawManifest.length, bufOpen(rawManifest));
  await packToFile(file, [
    { name: 'oci-layout', size: Buffer.byteLength('{"imageLayoutVersion":"1.0.0"}'), open: bufOpen(Buffer.from('{"imageLayoutVersion":"1.0.0"}')) },
    { name: 'index.json', size: Buffer.byteLength(index), open: bufOpen(Buffer.from(index)) },
    ...blobs,
  ]);
}

/** Writes `image` as a docker-archive at `file` (uncompressed layers, as `docker load` expects). */
export async function writeDockerArchive(image: Image, file: string, repoTag?: string): Promise<void> {
  const rawConfig = await image.rawConfig();
  const cfgDigest = sha256(rawConfig);
  const layers = await image.layers();
  // Layer sizes must be known before a tar header is written, so decompress each to a temp file.
  const work = await mkdtemp(join(tmpdir(), 'distill-docker-archive-'));
  try {
    const entries: PackEntry[] = [];
    const layerNames: string[] = [];
    const seen = new Set<string>();
    for (const l of layers) {
      const nameInTar = `${hexOf(l.diffId)}.tar`;
      layerNames.push(nameInTar);
      if (seen.has(nameInTar)) continue;
      seen.add(nameInTar);
      const plain = await uncompressedFile(l, work);
      entries.push({ name: nameInTar, size: (await stat(plain)).size, open: async () => createReadStream(plain) });
    }
    const manifestJson = JSON.stringify([
      { Config: `${hexOf(cfgDigest)}.json`, RepoTags: repoTag ? [normaliseRepoTag(repoTag)] : null, Layers: layerNames },
    ]);
    entries.push({ name: `${hexOf(cfgDigest)}.json`, size: rawConfig.length, open: bufOpen(rawConfig) });
    entries.push({ name: 'manifest.json', size: Buffer.byteLength(manifestJson), open: bufOpen(Buffer.from(manifestJson)) });
    await packToFile(file, entries);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function uncompressedFile(l: Layer, dir: string): Promise<string> {
  const p = join(dir, hexOf(l.diffId));
  await pipeToFile(p, await l.uncompressed());
  return p;
}

/** `name` -> `name:latest`, as docker load wants a tag. */
export function normaliseRepoTag(t: string): string {
  const lastSlash = t.lastIndexOf('/');
  return t.slice(lastSlash + 1).includes(':') ? t : `${t}:latest`;
}
