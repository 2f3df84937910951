/**
 * Test helpers for the layers module: a hand-written ustar encoder (so tests can write headers no
 * sane tar writer would: `..` names, absurd sizes, truncated bodies), in-memory images over tar
 * buffers, and OCI layouts written by hand (independent of the transports under test elsewhere).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { sha256, type Digest } from '../../src/oci/digest.ts';
import type { Image, Layer } from '../../src/oci/image.ts';
import { blobLayer } from '../../src/oci/layer.ts';
import type { ImageConfig, Manifest } from '../../src/oci/types.ts';

export interface RawEntry {
  name: string;
  /** ustar typeflag: '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo. */
  flag?: string;
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Declared size when it must differ from the content length (hostile headers). */
  size?: number | bigint;
}

function field(buf: Buffer, off: number, len: number, s: string): void {
  buf.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
}
function octal(buf: Buffer, off: number, len: number, n: number): void {
  field(buf, off, len, n.toString(8).padStart(len - 1, '0') + '\0');
}

/** One 512-byte ustar header (names up to 100 bytes; longer ones need PAX, see paxEntry). */
export function ustarHeader(e: RawEntry, size: number | bigint): Buffer {
  const h = Buffer.alloc(512);
  field(h, 0, 100, e.name);
  octal(h, 100, 8, e.mode ?? (e.flag === '5' ? 0o755 : 0o644));
  octal(h, 108, 8, e.uid ?? 0);
  octal(h, 116, 8, e.gid ?? 0);
  if (typeof size === 'bigint' || size > 0o77777777777) {
    // GNU base-256: high bit set, big-endian number in the rest of the field.
    let v = BigInt(size);
    for (let i = 11; i >= 1; i--) {
      h[124 + i] = Number(v & 0xffn);
      v >>= 8n;
    }
    h[124] = 0x80;
  } else octal(h, 124, 12, size);
  octal(h, 136, 12, 0);
  h.fill(0x20, 148, 156);
  field(h, 156, 1, e.flag ?? '0');
  field(h, 157, 100, e.linkname ?? '');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** A PAX extended header carrying `records` (e.g. path, linkpath) for the entry after it. */
export function paxEntry(records: Record<string, string>): Buffer {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(rest) + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len) len++;
    body += `${len}${rest}`;
  }
  const b = Buffer.from(body);
  return Buffer.concat([ustarHeader({ name: 'PaxHeader', flag: 'x' }, b.length), b, pad(b.length)]);
}

/** A GNU long-name ('L') or long-link ('K') entry for the entry after it. */
export function gnuLong(flag: 'L' | 'K', value: string): Buffer {
  const b = Buffer.from(value + '\0');
  return Buffer.concat([ustarHeader({ name: '././@LongLink', flag }, b.length), b, pad(b.length)]);
}

/** A tar archive of the entries; `raw` buffers are spliced in as they are. */
export function rawTar(entries: (RawEntry | Buffer)[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (Buffer.isBuffer(e)) {
      parts.push(e);
      continue;
    }
    const body = e.content === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content);
    parts.push(ustarHeader(e, e.size ?? body.length), body, pad(body.length));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const file = (name: string, content: string | Buffer = '', mode = 0o644): RawEntry => ({ name, content, mode });
export const dir = (name: string, mode = 0o755): RawEntry => ({ name, flag: '5', mode });
export const symlink = (name: string, linkname: string): RawEntry => ({ name, flag: '2', linkname, mode: 0o777 });
export const hardlink = (name: string, linkname: string): RawEntry => ({ name, flag: '1', linkname });

export interface BlobLayerSpec {
  /** The stored blob (gzip of a tar, or whatever a hostile test wants). */
  blob: Buffer;
  diffId: Digest;
  mediaType: string;
}

/** A gzip layer spec from a tar (diff_id computed from the tar). */
export function gzLayer(tar: Buffer): BlobLayerSpec {
  return { blob: gzipSync(tar, { level: 6 }), diffId: sha256(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
}

/** An in-memory Image over layer blobs, verified like any transport's. */
export function memImage(layers: BlobLayerSpec[], config: Partial<ImageConfig> = {}): Image {
  const cfg: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
    ...config,
  };
  const rawConfig = Buffer.from(JSON.stringify(cfg));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(rawConfig), size: rawConfig.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: sha256(l.blob), size: l.blob.length })),
  };
  const rawManifest = Buffer.from(JSON.stringify(manifest));
  const ls: Layer[] = layers.map((l, i) => blobLayer(manifest.layers[i]!, l.diffId, async () => Readable.from([l.blob])));
  return {
    manifest: async () => manifest,
    rawManifest: async () => rawManifest,
    digest: async () => sha256(rawManifest),
    config: async () => cfg,
    rawConfig: async () => rawConfig,
    layers: async () => ls,
  };
}

export interface LayoutSpec {
  layers: BlobLayerSpec[];
  config?: Partial<ImageConfig>;
  /** Replace the manifest bytes (garbage JSON tests). */
  rawManifest?: Buffer;
  rawConfig?: Buffer;
  /** Blob digests to leave out of blobs/. */
  omit?: Digest[];
  /** Blobs stored under a digest they do not hash to: stored digest -> bytes. */
  corrupt?: Map<Digest, Buffer>;
  /** Declared layer digests to use instead of the real ones (same order as layers). */
  layerDigests?: Digest[];
}

/** Writes an OCI layout by hand at `dir`, tagged `tag`; returns the manifest digest. */
export function writeLayoutByHand(dir: string, tag: string, spec: LayoutSpec): Digest {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (d: Digest, b: Buffer) => {
    if (spec.omit?.includes(d)) return;
    writeFileSync(join(blobs, d.slice(7)), spec.corrupt?.get(d) ?? b);
  };
  const cfg: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    history: spec.layers.map((_, i) => ({ created_by: `layer ${i}` })),
    ...spec.config,
  };
  const rawConfig = spec.rawConfig ?? Buffer.from(JSON.stringify(cfg));
  put(sha256(rawConfig), rawConfig);
  const descs = spec.layers.map((l, i) => {
    const d = spec.layerDigests?.[i] ?? sha256(l.blob);
    put(d, l.blob);
    return { mediaType: l.mediaType, digest: d, size: l.blob.length };
  });
  const manifest = spec.rawManifest ?? Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(rawConfig), size: rawConfig.length },
    layers: descs,
  }));
  const md = sha256(manifest);
  put(md, manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return md;
}
