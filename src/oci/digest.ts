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
    throw new DistillError(input, `not a sha256 digest: ${JSON.stringify(s)?.slice(0, 80)}`);
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

/**
 * Counts and hashes what flows through. With `expected` set, the stream errors at its end if the
 * digest (or size) differs, so a consumer never sees a clean end of a corrupt blob.
 */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private result: Digest | undefined;

  constructor(
    private readonly expected?: { digest?: Digest; size?: number; what: string },
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.expected?.size !== undefined && this.expected.size >= 0 && this.bytes > this.expected.size) {
      cb(new DistillError(this.expected.what, `blob is larger than its declared size ${this.expected.size}`));
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    const e = this.expected;
    if (e?.size !== undefined && e.size >= 0 && this.bytes !== e.size) {
      cb(new DistillError(e.what, `blob size ${this.bytes} does not match declared size ${e.size}`));
      return;
    }
    if (e?.digest && this.result !== e.digest) {
      cb(new DistillError(e.what, `digest mismatch: content is ${this.result}`));
      return;
    }
    cb();
  }

  /** The digest of everything that passed; only valid after the stream ended. */
  digest(): Digest {
    if (!this.result) throw new Error('DigestStream.digest() called before end');
    return this.result;
  }
}
