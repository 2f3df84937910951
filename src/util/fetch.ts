/**
 * HTTP(S) GET on Node's built-in fetch, for mirrors and registries: retries with exponential
 * backoff on network errors, stalls, 5xx/408/429 and truncated bodies; streams bodies to a temp
 * file while hashing, checks the length the server announced and the sha256 the caller expects,
 * then renames into place. `file:` URLs read the local file the same way (apt allows file: mirrors).
 * Every failure is a DistillError naming the URL, so a user sees which download went wrong.
 */
import { createReadStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { asDistillError, DistillError, type ErrorCode } from './errors.ts';
import { pipeToFile, tempBeside } from './files.ts';
import { cachePath, HashingStream, hashFile, putFile, remove, sha256Hex, tempPath, type CacheKind } from './cache.ts';

/** Options of one download. */
export interface FetchOptions {
  /** Extra attempts after the first (default 3). */
  retries?: number;
  /** Abort an attempt when no byte arrives for this long (default 30 s). */
  stallTimeoutMs?: number;
  /** First backoff delay, doubled per attempt (default 300 ms). */
  backoffMs?: number;
  /** Expected sha256 (`sha256:<hex>` or hex); a mismatch fails without retrying. */
  sha256?: string;
  /** Expected size in bytes; a different size fails. */
  size?: number;
  /** Called as bytes arrive with the running count of this attempt and the total when known. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** Outcome of a download. */
export interface FetchResult {
  sha256: string;
  size: number;
}

/** Fails without retrying: the server answered, and the answer is wrong. */
class PermanentError extends DistillError {}

/** The code of a final HTTP error status: gone, refused, or some other failure of the server. */
function httpCode(status: number): ErrorCode {
  if (status === 404 || status === 410) return 'E_NOT_FOUND';
  if (status === 401 || status === 403) return 'E_AUTH';
  return 'E_NETWORK';
}

/** Downloads `url` to `dest` (temp file + rename), verifying size and sha256 when given. */
export async function fetchToFile(url: string, dest: string, opts: FetchOptions = {}): Promise<FetchResult> {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = tempBeside(dest);
  try {
    const r = await withRetries(url, opts, () => attempt(url, tmp, opts));
    renameSync(tmp, dest);
    return r;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Downloads a small text resource (an InRelease file) into memory, refusing more than `maxBytes`. */
export async function fetchText(url: string, opts: FetchOptions & { maxBytes?: number } = {}): Promise<string> {
  const max = opts.maxBytes ?? 16 * 1024 * 1024;
  return withRetries(url, opts, async () => {
    const { body, total } = await open(url, opts);
    if (total !== undefined && total > max) throw new PermanentError(url, `response of ${total} bytes exceeds the ${max}-byte limit`, { code: 'E_REFUSED' });
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of body) {
      n += (c as Buffer).length;
      if (n > max) {
        body.destroy();
        throw new PermanentError(url, `response exceeds the ${max}-byte limit`, { code: 'E_REFUSED' });
      }
      chunks.push(c as Buffer);
    }
    if (total !== undefined && n !== total) throw new DistillError(url, `download truncated: got ${n} of ${total} bytes`, { code: 'E_TRUNCATED' });
    return Buffer.concat(chunks).toString('utf8');
  });
}

/**
 * Returns the cache path of the entry `sha256` in `kind`, downloading `url` into it when absent.
 * An existing entry is re-hashed first: a corrupted one is removed and fetched again (`refetch`,
 * the default) or refused with a DistillError; a download that still does not match is refused.
 */
export async function fetchToCache(
  url: string,
  kind: CacheKind,
  sha256: string,
  opts: FetchOptions & { refetch?: boolean; onCorrupt?: (path: string) => void } = {},
): Promise<string> {
  const hex = sha256Hex(sha256);
  const path = cachePath(kind, hex);
  let cached: { sha256: string; size: number } | undefined;
  try {
    cached = await hashFile(path);
  } catch {
    cached = undefined;
  }
  if (cached) {
    if (cached.sha256 === hex) return path;
    opts.onCorrupt?.(path);
    if (opts.refetch === false) {
      throw new DistillError(path, `cached file is corrupted: it hashes to sha256:${cached.sha256}, expected sha256:${hex} (from ${url}); delete it or allow a refetch`, { code: 'E_DIGEST_MISMATCH' });
    }
    remove(kind, hex);
  }
  const tmp = tempPath(kind);
  try {
    await withRetries(url, opts, () => attempt(url, tmp, { ...opts, sha256: hex }));
    return await putFile(kind, hex, tmp);
  } finally {
    rmSync(tmp, { force: true });
  }
}

async function withRetries<T>(url: string, opts: FetchOptions, fn: () => Promise<T>): Promise<T> {
  const retries = opts.retries ?? 3;
  const backoff = opts.backoffMs ?? 300;
  let last: unknown;
  for (let i = 0; i <= retries; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      if (e instanceof PermanentError) throw e.rewrap(e.input, e.message);
      if (i < retries) await new Promise((r) => setTimeout(r, backoff * 2 ** i * (0.75 + Math.random() / 2)));
    }
  }
  const msg = last instanceof Error ? last.message : String(last);
  // The last attempt's own code: a download that kept ending early is still E_TRUNCATED.
  const code: ErrorCode = last instanceof DistillError ? last.code : 'E_NETWORK';
  throw new DistillError(url, retries > 0 ? `download failed after ${retries + 1} attempts: ${msg}` : msg, { code });
}

async function open(url: string, opts: FetchOptions): Promise<{ body: Readable; total: number | undefined }> {
  const u = new URL(url);
  if (u.protocol === 'file:') {
    try {
      const path = fileURLToPath(u);
      const { size } = statSync(path);
      return { body: createReadStream(path), total: size };
    } catch (e) {
      const d = asDistillError(e, url);
      throw new PermanentError(url, d.message, { code: d.code });
    }
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PermanentError(url, `unsupported URL scheme ${u.protocol}`, { code: 'E_UNSUPPORTED' });
  const ctrl = new AbortController();
  const stall = opts.stallTimeoutMs ?? 30_000;
  let timer = setTimeout(() => ctrl.abort(new Error(`no response for ${stall} ms`)), stall);
  let res: Response;
  try {
    // identity: the sizes and hashes we check are of the bytes as stored on the mirror.
    res = await fetch(u, { headers: { 'accept-encoding': 'identity', ...opts.headers }, signal: ctrl.signal, redirect: 'follow' });
  } catch (e) {
    clearTimeout(timer);
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    throw new DistillError(url, `${e instanceof Error ? e.message : String(e)}${cause}`, { code: 'E_NETWORK' });
  }
  if (!res.ok || !res.body) {
    clearTimeout(timer);
    await res.body?.cancel().catch(() => undefined);
    const msg = `HTTP ${res.status} ${res.statusText}`.trim();
    if (res.status >= 500 || res.status === 408 || res.status === 429) throw new DistillError(url, msg, { code: 'E_NETWORK' });
    throw new PermanentError(url, msg, { code: httpCode(res.status) });
  }
  const len = res.headers.get('content-length');
  const total = len !== null && /^\d+$/.test(len) && !res.headers.get('content-encoding') ? Number(len) : undefined;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => body.destroy(new Error(`stalled: no data for ${stall} ms`)), stall);
  };
  rearm();
  body.on('data', rearm);
  body.on('close', () => clearTimeout(timer));
  return { body, total };
}

async function attempt(url: string, tmp: string, opts: FetchOptions): Promise<FetchResult> {
  const { body, total } = await open(url, opts);
  if (opts.size !== undefined && total !== undefined && total !== opts.size) {
    body.destroy();
    throw new PermanentError(url, `server announces ${total} bytes, expected ${opts.size}`, { code: 'E_SIZE_MISMATCH' });
  }
  const hasher = new HashingStream();
  if (opts.onProgress) {
    const cb = opts.onProgress;
    hasher.on('data', () => cb(hasher.bytes, total ?? opts.size));
  }
  try {
    await pipeToFile(tmp, body, { via: [hasher] });
  } catch (e) {
    const why = e instanceof Error ? e.message + (e.cause instanceof Error ? ` (${e.cause.message})` : '') : String(e);
    const expect = total ?? opts.size;
    if (expect !== undefined) throw new DistillError(url, `download truncated: got ${hasher.bytes} of ${expect} bytes: ${why}`, { code: 'E_TRUNCATED' });
    throw new DistillError(url, `download interrupted after ${hasher.bytes} bytes: ${why}`, { code: 'E_NETWORK' });
  }
  const n = hasher.bytes;
  if (total !== undefined && n !== total) throw new DistillError(url, `download truncated: got ${n} of ${total} bytes`, { code: 'E_TRUNCATED' });
  if (opts.size !== undefined && n < opts.size) throw new DistillError(url, `download truncated: got ${n} of ${opts.size} bytes`, { code: 'E_TRUNCATED' });
  if (opts.size !== undefined && n > opts.size) throw new PermanentError(url, `download has ${n} bytes, expected ${opts.size}`, { code: 'E_SIZE_MISMATCH' });
  const got = hasher.hex();
  if (opts.sha256 !== undefined && got !== sha256Hex(opts.sha256)) {
    throw new PermanentError(url, `sha256 mismatch: expected sha256:${sha256Hex(opts.sha256)}, got sha256:${got} (the file was altered in transit or on the mirror)`, { code: 'E_DIGEST_MISMATCH' });
  }
  return { sha256: got, size: n };
}
