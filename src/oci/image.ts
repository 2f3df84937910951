/**
 * The one interface every transport produces and consumes (go-containerregistry's v1.Image shape).
 * Everything is lazy: nothing is read until asked, and layer streams are verified as they flow.
 */
import type { Readable } from 'node:stream';
import type { Digest } from './digest.ts';
import type { ImageConfig, Manifest } from './types.ts';

export interface Layer {
  /** Digest of the blob as stored (compressed). */
  readonly digest: Digest;
  /** Digest of the uncompressed tar (the config's rootfs.diff_ids entry). */
  readonly diffId: Digest;
  /** Size of the stored (compressed) blob in bytes. */
  readonly size: number;
  readonly mediaType: string;
  /** The stored bytes; the stream errors at its end if they do not hash to `digest`. */
  compressed(): Promise<Readable>;
  /** The tar; errors if the blob does not match `digest` or the tar does not match `diffId`. */
  uncompressed(): Promise<Readable>;
}

export interface Image {
  manifest(): Promise<Manifest>;
  /** The exact manifest bytes (their sha256 is the image digest). */
  rawManifest(): Promise<Uint8Array>;
  digest(): Promise<Digest>;
  config(): Promise<ImageConfig>;
  rawConfig(): Promise<Uint8Array>;
  layers(): Promise<Layer[]>;
}
