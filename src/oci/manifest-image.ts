/**
 * An Image over a manifest and a blob store (any transport that can open a blob by descriptor).
 * Validates the manifest and config shape up front so broken images fail with one clear line.
 */
import type { Readable } from 'node:stream';
import { parseDigest, sha256, type Digest } from './digest.ts';
import type { Image, Layer } from './image.ts';
import { blobLayer, openVerified, parseJson, readSmall } from './layer.ts';
import { isManifestType } from './mediatypes.ts';
import type { Descriptor, ImageConfig, Manifest } from './types.ts';
import { DistillError } from '../util/errors.ts';

export type BlobOpener = (desc: Descriptor) => Promise<Readable>;

/** JSON documents (manifests, configs) above this size are refused rather than buffered. */
export const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** Checks a parsed descriptor, naming `what` when it is malformed. */
export function checkDescriptor(d: unknown, what: string): Descriptor {
  const o = d as Partial<Descriptor> | null;
  if (!o || typeof o !== 'object') throw new DistillError(what, 'descriptor is not an object', { code: 'E_INPUT' });
  if (typeof o.mediaType !== 'string') throw new DistillError(what, 'descriptor has no mediaType', { code: 'E_INPUT' });
  parseDigest(o.digest, what);
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw new DistillError(what, `descriptor has an invalid size ${JSON.stringify(o.size)}`, { code: 'E_INPUT' });
  }
  return o as Descriptor;
}

/** Parses and validates manifest bytes. */
export function parseManifest(raw: Uint8Array, what: string): Manifest {
  const m = parseJson<Manifest>(raw, what);
  if (m.schemaVersion !== 2) throw new DistillError(what, `unsupported manifest schemaVersion ${JSON.stringify(m.schemaVersion)}`, { code: 'E_UNSUPPORTED' });
  if (m.mediaType !== undefined && !isManifestType(m.mediaType)) {
    throw new DistillError(what, `not an image manifest (mediaType ${m.mediaType})`, { code: 'E_UNSUPPORTED' });
  }
  checkDescriptor(m.config, `${what} config`);
  if (!Array.isArray(m.layers)) throw new DistillError(what, 'manifest has no layers array', { code: 'E_INPUT' });
  m.layers.forEach((l, i) => checkDescriptor(l, `${what} layer ${i}`));
  return m;
}

/** Parses and validates config bytes against the manifest's layer count. */
export function parseConfig(raw: Uint8Array, what: string, layerCount?: number): ImageConfig {
  const c = parseJson<ImageConfig>(raw, what);
  if (!c.rootfs || !Array.isArray(c.rootfs.diff_ids)) throw new DistillError(what, 'config has no rootfs.diff_ids', { code: 'E_INPUT' });
  c.rootfs.diff_ids.forEach((d, i) => parseDigest(d, `${what} diff_id ${i}`));
  if (layerCount !== undefined && c.rootfs.diff_ids.length !== layerCount) {
    throw new DistillError(what, `config lists ${c.rootfs.diff_ids.length} diff_ids but the manifest has ${layerCount} layers`, { code: 'E_INPUT' });
  }
  return c;
}

/** Reads a small blob fully and verifies its digest. */
export async function readVerifiedBlob(open: BlobOpener, desc: Descriptor, what: string): Promise<Buffer> {
  if (desc.size > MAX_JSON_BYTES) throw new DistillError(what, `blob size ${desc.size} is too large for a JSON document`, { code: 'E_REFUSED' });
  const s = await openVerified(desc, () => open(desc), what);
  return readSmall(s, MAX_JSON_BYTES, what);
}

export class ManifestImage implements Image {
  private readonly parsed: Manifest;
  private configBytes?: Promise<Buffer>;
  private configParsed?: Promise<ImageConfig>;

  constructor(
    private readonly raw: Uint8Array,
    private readonly open: BlobOpener,
    /** Names the image in errors, e.g. `oci:/tmp/x:latest`. */
    readonly name: string,
    private readonly knownDigest?: Digest,
  ) {
    this.parsed = parseManifest(raw, `${name} manifest`);
  }

  async manifest(): Promise<Manifest> {
    return this.parsed;
  }
  async rawManifest(): Promise<Uint8Array> {
    return this.raw;
  }
  async digest(): Promise<Digest> {
    return this.knownDigest ?? sha256(this.raw);
  }
  rawConfig(): Promise<Uint8Array> {
    this.configBytes ??= readVerifiedBlob(this.open, this.parsed.config, `${this.name} config ${this.parsed.config.digest}`);
    return this.configBytes;
  }
  config(): Promise<ImageConfig> {
    this.configParsed ??= this.rawConfig().then((b) =>
      parseConfig(b, `${this.name} config ${this.parsed.config.digest}`, this.parsed.layers.length),
    );
    return this.configParsed;
  }
  async layers(): Promise<Layer[]> {
    const cfg = await this.config();
    return this.parsed.layers.map((d, i) => blobLayer(d, cfg.rootfs.diff_ids[i]!, () => this.open(d)));
  }
  /**
   * The stored bytes of layer `i`, verified as they flow, without waiting for the config as
   * layers() must (for diff_ids): a pull starts its layer downloads alongside the config's.
   */
  layerBlob(i: number): Promise<Readable> {
    const d = this.parsed.layers[i];
    if (!d) throw new DistillError(this.name, `no layer ${i}`, { code: 'E_NOT_FOUND' });
    return openVerified(d, () => this.open(d));
  }
}
