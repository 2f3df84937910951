/** sha256 digests: parsing, computing, and a pass-through stream that verifies one. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DistillError } from '../util/errors.ts';

export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** Parses a digest string, throwing a DistillError naming `input` when it is not sha256:<64 hex>. */
export function parseDigest(s: unknown, input = String(s)): Digest {
  if (typeof s !== 'string' || !DIGEST_RE.test(s)) {
    throw new DistillError(input, `not a sha256 digest: ${JSON.stringify(s)?.slice(0, 80)}`, { code: 'E_INPUT' });
  }
  return s as Digest;
}

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part of a digest, as used in blob paths. */
export function hexOf(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** What a verifying stream expects of a blob; `what` names it in errors. */
export interface Expected {
  digest?: Digest;
  size?: number;
  what: string;
}

/** The error for a blob that has grown past its declared size after `bytes`, if it has. */
export function sizeExceeded(e: Expected | undefined, bytes: number): DistillError | undefined {
  if (e?.size !== undefined && e.size >= 0 && bytes > e.size) return new DistillError(e.what, `blob is larger than its declared size ${e.size}`, { code: 'E_SIZE_MISMATCH' });
  return undefined;
}

/** The error for a whole blob of `bytes` bytes hashing to `digest`, if it is not what was expected. */
export function blobMismatch(e: Expected | undefined, bytes: number, digest: Digest | undefined): DistillError | undefined {
  if (e?.size !== undefined && e.size >= 0 && bytes !== e.size) return new DistillError(e.what, `blob size ${bytes} does not match declared size ${e.size}`, { code: 'E_SIZE_MISMATCH' });
  if (e?.digest && digest !== e.digest) return new DistillError(e.what, `digest mismatch: content is ${digest}`, { code: 'E_DIGEST_MISMATCH' });
  return undefined;
}

/**
 * Counts and hashes what flows through. With `expected` set, the stream errors at its end if the
 * digest (or size) differs, so a consumer never sees a clean end of a corrupt blob.
 */
export class DigestStream extends Transform {
  private readonly hash: Hash;
  bytes: number;
  private result: Digest | undefined;

  /** `resume` continues a blob whose first `bytes` were already hashed into `hash` (a resumed download). */
  constructor(
    private readonly expected?: Expected,
    resume?: { hash: Hash; bytes: number },
  ) {
    super();
    this.hash = resume?.hash ?? createHash('sha256');
    this.bytes = resume?.bytes ?? 0;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    const over = sizeExceeded(this.expected, this.bytes);
    if (over) return cb(over);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    cb(blobMismatch(this.expected, this.bytes, this.result));
  }

  /** The digest of everything that passed; only valid after the stream ended. */
  digest(): Digest {
    if (!this.result) throw new Error('DigestStream.digest() called before end');
    return this.result;
  }
}
