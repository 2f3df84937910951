/**
 * Deterministic layer writer: sorted entries, one fixed mtime (SOURCE_DATE_EPOCH or 0), numeric
 * owners with empty user/group names, ustar headers (PAX only when a name or link needs it, which
 * tar-stream decides), gzip at a fixed level. The layer streams to a temp file while both digests
 * (compressed and uncompressed) are computed in the same pass; same inputs give the same bytes.
 */
import { createReadStream } from 'node:fs';
import { lstat, mkdir, opendir, readlink, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { DigestStream, type Digest } from '../oci/digest.ts';
import { fileLayer } from '../oci/layer.ts';
import type { Layer } from '../oci/image.ts';
import { MediaType } from '../oci/mediatypes.ts';
import { DistillError } from '../util/errors.ts';
import { pipeToFile } from '../util/files.ts';
import { gzipCompressor } from '../oci/compression.ts';
import { normalizePath } from './tar.ts';

export type LayerContent = Buffer | { file: string } | (() => Readable);

export interface LayerEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink';
  mode: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  content?: LayerContent;
  /** Required for `() => Readable` content; taken from the buffer or the file otherwise. */
  size?: number;
}

export interface WriteLayerOptions {
  /** Seconds since the epoch for every mtime; default SOURCE_DATE_EPOCH or 0. */
  mtime?: number;
  /** Directory for the output file; default the OS temp dir. */
  dir?: string;
  gzipLevel?: number;
}

export interface WrittenLayer {
  path: string;
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
}

/** SOURCE_DATE_EPOCH as seconds, or 0 when unset; a malformed value is an error. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return 0;
  if (!/^\d+$/.test(v)) throw new DistillError('SOURCE_DATE_EPOCH', `not a number of seconds: ${JSON.stringify(v)}`, { code: 'E_INPUT' });
  return Number(v);
}

/** Orders paths so parents come before children and siblings compare bytewise. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = Buffer.from(pa[i]!);
    const y = Buffer.from(pb[i]!);
    const c = Buffer.compare(x, y);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

const TAR_TYPE = { file: 'file', dir: 'directory', symlink: 'symlink', hardlink: 'link' } as const;

async function openContent(e: LayerEntry): Promise<{ size: number; stream?: Readable; buf?: Buffer }> {
  const c = e.content;
  if (c === undefined) return { size: 0, buf: Buffer.alloc(0) };
  if (Buffer.isBuffer(c)) return { size: c.length, buf: c };
  if (typeof c === 'function') {
    if (e.size === undefined) throw new DistillError(e.path, 'a streamed layer entry needs its size', { code: 'E_INPUT' });
    return { size: e.size, stream: c() };
  }
  const st = await lstat(c.file);
  return { size: st.size, stream: createReadStream(c.file, { highWaterMark: 256 * 1024 }) };
}

/** Writes `entries` as a gzip tar layer file; see the module comment for what makes it deterministic. */
export async function writeLayer(entries: readonly LayerEntry[], opts: WriteLayerOptions = {}): Promise<WrittenLayer> {
  const mtime = new Date((opts.mtime ?? sourceDateEpoch()) * 1000);
  const sorted = entries
    .map((e) => ({ ...e, path: normalizePath(e.path).path }))
    .filter((e) => e.path !== '')
    .sort((a, b) => comparePaths(a.path, b.path));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.path === sorted[i - 1]!.path) throw new DistillError(sorted[i]!.path, 'path given twice to the layer writer', { code: 'E_INPUT' });
  }
  const dir = opts.dir ?? tmpdir();
  await mkdir(dir, { recursive: true });
  const path = join(dir, `distill-layer-${randomBytes(8).toString('hex')}.tar.gz`);
  const pack = tar.pack();
  const diff = new DigestStream();
  const comp = new DigestStream();
  const done = pipeToFile(path, pack as unknown as Readable, { via: [diff, gzipCompressor(opts.gzipLevel ?? 6), comp] });
  done.catch(() => undefined);
  try {
    for (const e of sorted) {
      const header = {
        name: e.type === 'dir' ? `${e.path}/` : e.path,
        type: TAR_TYPE[e.type],
        mode: e.mode & 0o7777,
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        uname: '',
        gname: '',
        mtime,
        ...(e.type === 'symlink' || e.type === 'hardlink' ? { linkname: e.linkname ?? '' } : {}),
      };
      if (e.type !== 'file') {
        await new Promise<void>((resolve, reject) => pack.entry({ ...header, size: 0 }, (err) => (err ? reject(err) : resolve())));
        continue;
      }
      const c = await openContent(e);
      if (c.buf) {
        await new Promise<void>((resolve, reject) => pack.entry({ ...header, size: c.size }, c.buf!, (err) => (err ? reject(err) : resolve())));
      } else {
        const sink = pack.entry({ ...header, size: c.size });
        await pipeline(c.stream!, sink as unknown as NodeJS.WritableStream);
      }
    }
    pack.finalize();
    await done;
  } catch (err) {
    pack.destroy();
    await done.catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
  return { path, digest: comp.digest(), diffId: diff.digest(), size: comp.bytes, mediaType: MediaType.OciLayerGzip };
}

/** A written layer as a `Layer` (for mutate's appendLayers). */
export function asLayer(w: WrittenLayer): Layer {
  return fileLayer(w.path, w);
}

export interface DirLayerOptions extends WriteLayerOptions {
  /** Owner of every entry; default 0:0. */
  uid?: number;
  gid?: number;
  /** Where the directory's contents go in the image, e.g. `/app`; default the root. */
  prefix?: string;
}

/** The entries of a host directory tree, sorted; special files are refused. */
export async function entriesFromDir(root: string, opts: Pick<DirLayerOptions, 'uid' | 'gid' | 'prefix'> = {}): Promise<LayerEntry[]> {
  const prefix = normalizePath(opts.prefix ?? '').path;
  const out: LayerEntry[] = [];
  const owner = { uid: opts.uid ?? 0, gid: opts.gid ?? 0 };
  if (prefix) {
    // The prefix's own directories, so the layer extracts without implicit parents.
    const parts = prefix.split('/');
    for (let i = 1; i <= parts.length; i++) out.push({ path: parts.slice(0, i).join('/'), type: 'dir', mode: 0o755, ...owner });
  }
  const walk = async (abs: string, rel: string) => {
    const d = await opendir(abs);
    const names: string[] = [];
    for await (const e of d) names.push(e.name);
    names.sort();
    for (const name of names) {
      const a = join(abs, name);
      const r = rel ? posix.join(rel, name) : name;
      const dest = prefix ? `${prefix}/${r}` : r;
      const st = await lstat(a);
      if (st.isDirectory()) {
        out.push({ path: dest, type: 'dir', mode: st.mode & 0o7777, ...owner });
        await walk(a, r);
      } else if (st.isSymbolicLink()) {
        out.push({ path: dest, type: 'symlink', mode: 0o777, linkname: await readlink(a), ...owner });
      } else if (st.isFile()) {
        out.push({ path: dest, type: 'file', mode: st.mode & 0o7777, content: { file: a }, ...owner });
      } else {
        throw new DistillError(a, 'not a regular file, directory or symlink; cannot put it in a layer', { code: 'E_UNSUPPORTED' });
      }
    }
  };
  await walk(root, '');
  return out;
}

/** Builds a layer from a host directory (sorted walk, fixed owner, optional destination prefix). */
export async function layerFromDir(root: string, opts: DirLayerOptions = {}): Promise<WrittenLayer> {
  return writeLayer(await entriesFromDir(root, opts), opts);
}
