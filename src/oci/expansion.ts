/**
 * Limits on how much a layer may expand when it is decompressed: a few MiB of gzip can inflate to
 * many GiB (a "gzip bomb"), and every reader (export, inspect, audit, sbom) streams what it
 * inflates. Two limits, checked while the bytes flow: a total size, and a ratio to the compressed
 * size that applies only past RATIO_FLOOR (small layers of zeros compress far better than 100x and
 * are harmless). `--max-expansion` / `--max-ratio` (or DISTILL_MAX_EXPANSION / DISTILL_MAX_RATIO)
 * raise them.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { DistillError } from '../util/errors.ts';

/** The limits in force for one read. */
export interface ExpansionLimits {
  /** Most uncompressed bytes one image (all its layers together) may produce. */
  maxBytes: number;
  /** Most uncompressed bytes per compressed byte, once past RATIO_FLOOR. */
  maxRatio: number;
}

/** The ratio limit starts counting only past this many uncompressed bytes. */
export const RATIO_FLOOR = 256 * 1024 * 1024;

/** 64 GiB total and 100:1: far above real images, far below what a bomb produces. */
export const DEFAULT_EXPANSION: ExpansionLimits = { maxBytes: 64 * 1024 ** 3, maxRatio: 100 };

function fromEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

let current: ExpansionLimits | undefined;

/** The limits now in force: set by flags, else from the environment, else the defaults. */
export function expansionLimits(): ExpansionLimits {
  current ??= {
    maxBytes: fromEnv('DISTILL_MAX_EXPANSION') ?? DEFAULT_EXPANSION.maxBytes,
    maxRatio: fromEnv('DISTILL_MAX_RATIO') ?? DEFAULT_EXPANSION.maxRatio,
  };
  return current;
}

/** Changes the limits for the rest of the process (the CLI's --max-expansion / --max-ratio). */
export function setExpansionLimits(p: Partial<ExpansionLimits>): void {
  current = { ...expansionLimits(), ...p };
}

/** The error for `bytes` inflated out of `compressed`, if that is over the limits. */
export function expansionExceeded(what: string, bytes: number, compressed: number, limits: ExpansionLimits = expansionLimits()): DistillError | undefined {
  if (bytes > limits.maxBytes) {
    return new DistillError(what, `expands past ${limits.maxBytes} bytes; refusing (a decompression bomb? --max-expansion raises the limit)`, { code: 'E_REFUSED' });
  }
  if (bytes > RATIO_FLOOR && bytes > limits.maxRatio * Math.max(compressed, 1)) {
    return new DistillError(what, `expands more than ${limits.maxRatio}:1 (${bytes} bytes from ${compressed}); refusing (a decompression bomb? --max-ratio raises the limit)`, { code: 'E_REFUSED' });
  }
  return undefined;
}

/**
 * A pass-through that fails as soon as what went through, plus `before` (bytes of earlier layers
 * of the same image, with `compressedBefore` of theirs), is over the limits.
 */
export class ExpansionGuard extends Transform {
  bytes = 0;
  constructor(
    private readonly what: string,
    private readonly compressed: number,
    private readonly before = 0,
    private readonly limits: ExpansionLimits = expansionLimits(),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    const over = expansionExceeded(this.what, this.before + this.bytes, this.compressed, this.limits);
    if (over) return cb(over);
    cb(null, chunk);
  }
}
