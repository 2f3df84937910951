/**
 * Content-addressed on-disk cache: `$XDG_CACHE_HOME/distill` (or `~/.cache/distill`, or
 * `$DISTILL_CACHE_DIR` when set), laid out as `<kind>/sha256/<hex>` (kinds: `blobs` for image
 * blobs, `debs` for .deb files, `indexes` for Packages indexes).
 *
 * Every write goes to a uniquely named temp file in the same directory and is renamed into place,
 * so concurrent runs never see a half-written entry, and two runs writing the same digest simply
 * replace identical bytes. Entries are verified by their digest when written; readers that must
 * not trust the disk (a cache may be corrupted or tampered with) call `verify()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { DistillError } from './errors.ts';
import { pipeToFile } from './files.ts';

/** Cache sections; each holds content-addressed files. */
export type CacheKind = 'blobs' | 'debs' | 'indexes';

const HEX_RE = /^[a-f0-9]{64}$/;

/** The cache root: `$DISTILL_CACHE_DIR`, else `$XDG_CACHE_HOME/distill`, else `~/.cache/distill`. */
export function cacheDir(): string {
  if (process.env.DISTILL_CACHE_DIR) return process.env.DISTILL_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'distill');
}

/** The hex of a `sha256:<hex>` digest or of a bare hex string; throws on anything else. */
export function sha256Hex(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice(7) : digest;
  if (!HEX_RE.test(hex)) throw new DistillError(digest, 'not a sha256 digest', { code: 'E_INPUT' });
  return hex;
}

/** Where the entry for `digest` (`sha256:<hex>` or bare hex) lives in section `kind`. */
export function cachePath(kind: CacheKind, digest: string): string {
  return join(cacheDir(), kind, 'sha256', sha256Hex(digest));
}

/** Whether an entry exists (not verified; see `verify`). */
export function has(kind: CacheKind, digest: string): boolean {
  return existsSync(cachePath(kind, digest));
}

/** A fresh temp path next to where `kind` entries live, so a rename into place is atomic. */
export function tempPath(kind: CacheKind): string {
  const dir = join(cacheDir(), kind, 'tmp');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${process.pid}-${randomBytes(6).toString('hex')}.part`);
}

/** sha256 hex and size of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

/** True when the entry exists and its bytes hash to `digest`. */
export async function verify(kind: CacheKind, digest: string): Promise<boolean> {
  const p = cachePath(kind, digest);
  if (!existsSync(p)) return false;
  return (await hashFile(p)).sha256 === sha256Hex(digest);
}

/** Removes an entry (a corrupted one, typically); no error when absent. */
export function remove(kind: CacheKind, digest: string): void {
  rmSync(cachePath(kind, digest), { force: true });
}

/**
 * Moves the file at `src` into the cache under `digest` after checking its hash; `src` should be
 * a `tempPath(kind)` so the rename stays on one filesystem. Returns the entry's path.
 */
export async function putFile(kind: CacheKind, digest: string, src: string): Promise<string> {
  const want = sha256Hex(digest);
  const got = (await hashFile(src)).sha256;
  if (got !== want) {
    rmSync(src, { force: true });
    throw new DistillError(digest, `cache: content hashes to sha256:${got}, not the expected digest`, { code: 'E_DIGEST_MISMATCH' });
  }
  return commit(kind, want, src);
}

/**
 * Streams `input` into the cache, hashing on the way. With `digest` given, a mismatch throws and
 * leaves nothing behind; without, the computed digest names the entry. Returns path and digest.
 */
export async function putStream(
  kind: CacheKind,
  input: Readable,
  digest?: string,
): Promise<{ path: string; sha256: string; size: number }> {
  const tmp = tempPath(kind);
  const hasher = new HashingStream();
  try {
    await pipeToFile(tmp, input, { via: [hasher] });
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  const got = hasher.hex();
  if (digest !== undefined && got !== sha256Hex(digest)) {
    rmSync(tmp, { force: true });
    throw new DistillError(digest, `cache: content hashes to sha256:${got}, not the expected digest`, { code: 'E_DIGEST_MISMATCH' });
  }
  return { path: commit(kind, got, tmp), sha256: got, size: hasher.bytes };
}

/** Writes bytes into the cache under their own digest. */
export async function putBytes(kind: CacheKind, data: Uint8Array): Promise<{ path: string; sha256: string }> {
  const r = await putStream(kind, Readable.from([Buffer.from(data)]));
  return { path: r.path, sha256: r.sha256 };
}

/** Size of an entry in bytes, or undefined when absent. */
export function entrySize(kind: CacheKind, digest: string): number | undefined {
  const p = cachePath(kind, digest);
  return existsSync(p) ? statSync(p).size : undefined;
}

function commit(kind: CacheKind, hex: string, tmp: string): string {
  const dest = cachePath(kind, hex);
  mkdirSync(dirname(dest), { recursive: true });
  renameSync(tmp, dest);
  return dest;
}

/** Pass-through that hashes and counts. */
export class HashingStream extends Transform {
  private readonly h = createHash('sha256');
  bytes = 0;
  private digestHex: string | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.h.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  /** The sha256 hex of everything that passed; call after the stream ended. */
  hex(): string {
    this.digestHex ??= this.h.digest('hex');
    return this.digestHex;
  }
}
