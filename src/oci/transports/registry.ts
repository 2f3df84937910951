/**
 * OCI distribution (registry v2) client on node:http(s) (see http.ts), as a transport of Image:
 * `readRegistry` pulls (manifest by tag or digest, index -> platform, blobs streamed, verified by
 * ManifestImage/blobLayer, interrupted downloads resumed with Range), `pushRegistry` pushes (HEAD
 * existence checks, cross-repository mounts, monolithic or chunked uploads, manifest bytes as-is).
 * Auth: anonymous, Basic, and the Bearer token flow, with credentials from credentials.ts. Retries
 * with exponential backoff on network errors, 429 and 5xx, honouring Retry-After. Plain http only
 * with `insecure` or for loopback hosts. Hand-written: no maintained JS registry client exists that
 * streams, resumes and stays off the network stack of a daemon.
 */
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { isDigest, sha256, type Digest } from '../digest.ts';
import type { Image } from '../image.ts';
import { readSmall } from '../layer.ts';
import { ManifestImage, MAX_JSON_BYTES } from '../manifest-image.ts';
import { isIndexType, MediaType } from '../mediatypes.ts';
import { parseIndex, selectPlatform } from '../platform.ts';
import type { Descriptor } from '../types.ts';
import { apiHost, formatDockerRef, isLoopback, parseDockerRef, type DockerRef } from '../docker-ref.ts';
import type { Credentials } from '../credentials.ts';
import { DistillError, type ErrorCode } from '../../util/errors.ts';
import { httpRequest, type HttpResponse } from './http.ts';
import { OWNED_CHUNKS } from '../digest-thread.ts';

/** Options of registry reads and writes; every field has a sensible default. */
export interface RegistryOptions {
  /** Allow plain http to a non-loopback registry (loopback hosts always may use it). */
  insecure?: boolean;
  /** Platform to pick from an index, `os/arch[/variant]` (default linux/amd64). */
  platform?: string;
  /** Attempts after the first on network errors, 429 and 5xx (default 5). */
  retries?: number;
  /** First backoff delay in ms, doubled per attempt (default 250). */
  backoffMs?: number;
  /** Longest Retry-After honoured in ms; longer waits are cut to this (default 60 s). */
  maxRetryAfterMs?: number;
  /** Blobs larger than this are uploaded in chunks (PATCH), smaller ones in one PUT (default 64 MiB). */
  chunkThreshold?: number;
  /** Size of one PATCH of a chunked upload (default 16 MiB). */
  chunkSize?: number;
  /** A blob download that answers or delivers nothing for this long is cut and retried (default 60 s). */
  stallTimeoutMs?: number;
  /**
   * A blob download slower than this many bytes per second over `rateWindowMs` (while we are
   * reading, not while our own writer holds it back) is cut and resumed (default 1024).
   */
  minRate?: number;
  /** The window the minimum rate is measured over (default 30 s). */
  rateWindowMs?: number;
  /** Longest one blob request may take, however steadily it drips (default 1 h), before it is cut and resumed. */
  deadlineMs?: number;
  /** Parallel blob transfers (default 4). */
  concurrency?: number;
  /** Environment for credential lookup (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Called with the number of blob bytes each time some are sent or received. */
  onBytes?: (n: number) => void;
  /** Called once per pushed blob with what happened to it. */
  onBlob?: (e: { digest: Digest; size: number; action: 'exists' | 'mounted' | 'uploaded' | 'uploaded-chunked' }) => void;
}

const MANIFEST_ACCEPT = [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ');
const MiB = 1024 * 1024;

/** Blobs in flight at once: 4 keeps a loopback registry and two cores busy without thrashing. */
export const DEFAULT_CONCURRENCY = 4;

/** A failure worth another attempt (network error, 429, 5xx), with the server's Retry-After if any. */
class RetryableError extends DistillError {
  constructor(input: string, message: string, readonly retryAfterMs?: number) {
    super(input, message, { code: 'E_NETWORK' });
  }
}

/** The code of a registry's final error answer (401 and 403 are handled as E_AUTH before). */
function statusCode(status: number): ErrorCode {
  return status === 404 ? 'E_NOT_FOUND' : 'E_NETWORK';
}

/** Parses Retry-After (delta seconds or an HTTP date) to milliseconds from `now`. */
export function parseRetryAfter(v: string | null | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (`Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!))) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  return { scheme, params };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Describes a network failure without ever echoing headers (which carry credentials). */
function netMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${msg}${cause}`;
}

/** The system error code (ENOTFOUND, ECONNRESET…) of a network failure, if any. */
function errorCode(e: unknown): string | undefined {
  for (const x of [e, e instanceof Error ? e.cause : undefined]) {
    const code = (x as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** `HTTP 404 Not Found (MANIFEST_UNKNOWN: manifest unknown)` from a failed response. */
async function httpError(res: HttpResponse): Promise<string> {
  let detail = '';
  try {
    const text = await res.text();
    const j = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    if (Array.isArray(j.errors) && j.errors.length) {
      detail = ' (' + j.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ') + ')';
    }
  } catch {
    /* not a registry error document */
  }
  return `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}${detail}`;
}

const schemeCache = new Map<string, Promise<string>>();

interface SendInit {
  headers?: Record<string, string>;
  /** Makes a fresh body for each attempt (a stream cannot be sent twice). */
  body?: () => Promise<Uint8Array | Readable> | Uint8Array | Readable;
  /** Statuses that count as success (default: any 2xx). */
  ok?: number[];
  /** Names the operation in errors. */
  what: string;
  /** A blob download: see RequestOptions.bulk. */
  bulk?: boolean;
}

/** One registry and repository, with its auth state. */
export class RegistryClient {
  private authHeader?: string;
  private creds?: Promise<Credentials | undefined>;
  readonly retries: number;
  private readonly backoffMs: number;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly actions: string[],
    readonly opts: RegistryOptions = {},
    private readonly extraScopes: string[] = [],
  ) {
    this.retries = opts.retries ?? 5;
    this.backoffMs = opts.backoffMs ?? 250;
  }

  /** `https://host` or, where allowed and https does not answer, `http://host`. */
  base(): Promise<string> {
    const host = apiHost(this.registry);
    const plainOk = Boolean(this.opts.insecure) || isLoopback(this.registry);
    const key = `${host}|${plainOk}`;
    let p = schemeCache.get(key);
    if (!p) {
      p = (async () => {
        if (!plainOk) return `https://${host}`;
        // A loopback port speaks one protocol, and plain http is allowed there: ask in plain http
        // first, which spares loading TLS (~5 ms of a CLI pull). A TLS server drops plain http or
        // answers it 400 (Go's and nginx's do), so then https is the protocol. Elsewhere
        // (--insecure) https is preferred whenever it answers at all.
        if (isLoopback(this.registry)) {
          try {
            const r = await httpRequest('GET', `http://${host}/v2/`, { timeoutMs: 5000 });
            r.discard();
            if (r.status !== 400) return `http://${host}`;
          } catch {
            /* not plain http */
          }
          return `https://${host}`;
        }
        try {
          (await httpRequest('GET', `https://${host}/v2/`, { timeoutMs: 5000 })).discard();
          return `https://${host}`;
        } catch {
          return `http://${host}`;
        }
      })();
      schemeCache.set(key, p);
    }
    return p;
  }

  async url(path: string): Promise<string> {
    return `${await this.base()}/v2/${this.repository}/${path}`;
  }

  private credentials(): Promise<Credentials | undefined> {
    // Loaded on first need (an auth challenge, an error message): anonymous pulls never read it.
    this.creds ??= import('../credentials.ts').then((m) => m.findCredentials(this.registry, this.opts.env ?? process.env));
    return this.creds;
  }

  private scopes(): string[] {
    return [`repository:${this.repository}:${this.actions.join(',')}`, ...this.extraScopes];
  }

  /** Answers a 401 challenge: Basic with stored credentials, or a Bearer token from the realm. */
  private async authenticate(header: string | null, what: string): Promise<void> {
    const ch = parseChallenge(header);
    if (!ch) throw new DistillError(what, `HTTP 401 Unauthorized from ${this.registry} without a usable WWW-Authenticate challenge`, { code: 'E_AUTH' });
    const creds = await this.credentials();
    const basic = creds ? 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64') : undefined;
    if (ch.scheme === 'basic') {
      if (!basic) throw new DistillError(what, `${this.registry} requires authentication and no credentials were found (docker login, podman login, or REGISTRY_AUTH_FILE)`, { code: 'E_AUTH' });
      this.authHeader = basic;
      return;
    }
    const realm = ch.params.realm;
    if (!realm) throw new DistillError(what, `bearer challenge from ${this.registry} has no realm`, { code: 'E_AUTH' });
    const u = new URL(realm);
    if (ch.params.service) u.searchParams.set('service', ch.params.service);
    for (const s of this.scopes()) u.searchParams.append('scope', s);
    let res: HttpResponse | undefined;
    for (let i = 0; ; i++) {
      try {
        res = await httpRequest('GET', u.href, { headers: basic ? { authorization: basic } : {}, timeoutMs: this.opts.stallTimeoutMs });
      } catch (e) {
        if (i < this.retries) {
          await sleep(this.backoffMs * 2 ** i);
          continue;
        }
        throw new DistillError(what, `token request to ${u.origin}${u.pathname} failed: ${netMessage(e)}`, { code: 'E_NETWORK' });
      }
      if ((res.status === 429 || res.status >= 500) && i < this.retries) {
        res.discard();
        await sleep(parseRetryAfter(res.header('retry-after')) ?? this.backoffMs * 2 ** i);
        continue;
      }
      break;
    }
    if (!res.ok) {
      const who = creds ? ` with credentials from ${creds.source}` : ' anonymously';
      throw new DistillError(what, `authentication failed${who}: token endpoint ${u.origin}${u.pathname} answered ${await httpError(res)}`, { code: 'E_AUTH' });
    }
    let j: { token?: string; access_token?: string } = {};
    try {
      j = JSON.parse(await res.text(MAX_JSON_BYTES)) as typeof j;
    } catch {
      /* reported as no token below */
    }
    const token = j.token ?? j.access_token;
    if (!token) throw new DistillError(what, `token endpoint ${u.origin}${u.pathname} returned no token`, { code: 'E_AUTH' });
    this.authHeader = `Bearer ${token}`;
  }

  /** One request (answering one auth challenge); throws RetryableError for network errors, 429, 5xx. */
  async send(method: string, url: string, init: SendInit): Promise<HttpResponse> {
    let authed = false;
    for (;;) {
      const headers: Record<string, string> = { ...init.headers };
      if (this.authHeader) headers.authorization = this.authHeader;
      const body = init.body ? await init.body() : undefined;
      let res: HttpResponse;
      try {
        res = await httpRequest(method, url, { headers, body, timeoutMs: this.opts.stallTimeoutMs, bulk: init.bulk });
      } catch (e) {
        // An unknown host stays unknown: fail at once instead of backing off for seconds.
        if (errorCode(e) === 'ENOTFOUND') throw new DistillError(init.what, `${method} ${url}: ${netMessage(e)}`, { code: 'E_NETWORK' });
        throw new RetryableError(init.what, `${method} ${url}: ${netMessage(e)}`);
      }
      if (res.status === 401 && !authed) {
        authed = true;
        // What this request carried, not what the client holds now: requests run concurrently,
        // and another one may have authenticated while this one was out without credentials.
        const sent = headers.authorization;
        const challenge = res.header('www-authenticate') ?? null;
        res.discard();
        if (sent?.startsWith('Basic')) {
          throw new DistillError(init.what, `authentication failed at ${this.registry}: HTTP 401 Unauthorized${await this.credSource()}`, { code: 'E_AUTH' });
        }
        if (this.authHeader && this.authHeader !== sent) continue;
        await this.authenticate(challenge, init.what);
        continue;
      }
      const ok = init.ok ? init.ok.includes(res.status) : res.ok;
      if (ok) return res;
      const msg = `${method} ${new URL(url).pathname} answered ${await httpError(res)}`;
      if (res.status === 401 || res.status === 403) {
        throw new DistillError(init.what, `authentication failed at ${this.registry}: ${msg}${await this.credSource()}`, { code: 'E_AUTH' });
      }
      if (res.status === 429 || res.status >= 500 || res.status === 408) {
        throw new RetryableError(init.what, msg, parseRetryAfter(res.header('retry-after')));
      }
      throw new DistillError(init.what, msg, { code: statusCode(res.status) });
    }
  }

  private async credSource(): Promise<string> {
    const c = await this.credentials();
    return c ? ` (credentials from ${c.source})` : ' (no credentials found)';
  }

  /** Runs `fn` with bounded retries and exponential backoff, honouring Retry-After. */
  async withRetries<T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn(i);
      } catch (e) {
        if (!(e instanceof RetryableError)) throw e;
        if (i >= this.retries) throw e.rewrap(what, `${e.message} (gave up after ${i + 1} attempt${i ? 's' : ''})`);
        const backoff = Math.min(10_000, this.backoffMs * 2 ** i) * (0.75 + Math.random() / 2);
        const wait = e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, this.opts.maxRetryAfterMs ?? 60_000) : backoff;
        await sleep(wait);
      }
    }
  }

  /** `send` with retries; for requests whose body can be made again. */
  async request(method: string, url: string, init: SendInit): Promise<HttpResponse> {
    return this.withRetries(init.what, () => this.send(method, url, init));
  }

  /** Fetches a manifest or index by tag or digest: its bytes, media type and digest. */
  async getManifest(reference: string, what: string): Promise<{ raw: Buffer; mediaType: string | undefined; digest: Digest }> {
    const url = await this.url(`manifests/${reference}`);
    const { raw, res } = await this.withRetries(what, async () => {
      const res = await this.send('GET', url, { headers: { accept: MANIFEST_ACCEPT }, what });
      const len = Number(res.header('content-length') ?? 0);
      if (len > MAX_JSON_BYTES) {
        res.discard();
        throw new DistillError(what, `manifest of ${len} bytes is too large`, { code: 'E_REFUSED' });
      }
      try {
        return { raw: await readSmall(res.body, MAX_JSON_BYTES, what), res };
      } catch (e) {
        if (e instanceof DistillError) throw e;
        throw new RetryableError(what, `reading manifest: ${netMessage(e)}`);
      }
    });
    const digest = sha256(raw);
    if (isDigest(reference) && digest !== reference) {
      throw new DistillError(what, `manifest digest mismatch: asked for ${reference}, content is ${digest}`, { code: 'E_DIGEST_MISMATCH' });
    }
    const announced = res.header('docker-content-digest');
    if (announced && isDigest(announced) && announced !== digest) {
      throw new DistillError(what, `manifest digest mismatch: registry says ${announced}, content is ${digest}`, { code: 'E_DIGEST_MISMATCH' });
    }
    let mediaType = res.header('content-type')?.split(';')[0]?.trim();
    try {
      const body = JSON.parse(raw.toString('utf8')) as { mediaType?: string; manifests?: unknown };
      if (body.mediaType) mediaType = body.mediaType;
      else if (Array.isArray(body.manifests)) mediaType = MediaType.OciIndex;
    } catch {
      /* ManifestImage reports invalid JSON */
    }
    return { raw, mediaType, digest };
  }

  /**
   * Whether the repository has the blob (HEAD). With `size`, a blob the registry holds at another
   * size is an error: the image's descriptor lies about it, and skipping the upload would push a
   * manifest whose sizes no registry can serve.
   */
  async blobExists(digest: Digest, what: string, size?: number): Promise<boolean> {
    const res = await this.request('HEAD', await this.url(`blobs/${digest}`), { ok: [200, 404], what });
    res.discard();
    if (res.status !== 200) return false;
    const len = res.header('content-length');
    if (size !== undefined && len !== undefined && /^\d+$/.test(len) && Number(len) !== size) {
      throw new DistillError(what, `the descriptor says ${size} bytes but the registry holds this blob at ${len} bytes`, { code: 'E_SIZE_MISMATCH' });
    }
    return true;
  }

  /**
   * Opens a blob as a stream. When the connection drops mid-blob the download continues with
   * `Range: bytes=N-` (206), or restarts and skips what was already delivered (200), within the
   * retry budget; the caller's DigestStream verifies the result.
   */
  async openBlob(desc: Descriptor, what = `blob ${desc.digest}`, start = 0): Promise<Readable> {
    const url = await this.url(`blobs/${desc.digest}`);
    // From `start` on (a partial blob a killed run left): a 200 to the Range is skipped up to it.
    const first = start > 0
      ? await this.request('GET', url, { headers: { range: `bytes=${start}-` }, ok: [200, 206], what, bulk: true })
      : await this.request('GET', url, { what, bulk: true });
    // A Readable fed by push() rather than a PassThrough: one stream hop less per chunk. Its
    // read() resumes whichever response body copyBody paused.
    const feed = { wake: () => {} };
    const out = new Readable({ highWaterMark: MiB, read: () => feed.wake() });
    // Its chunks are the sockets' own (or copies), held by nobody else: a verifier may take them.
    (out as Readable & { [OWNED_CHUNKS]?: boolean })[OWNED_CHUNKS] = true;
    const onBytes = this.opts.onBytes;
    const pump = async (initial: HttpResponse) => {
      let res: HttpResponse | undefined = initial;
      let received = start;
      let resumes = 0;
      while (res) {
        let skip = 0;
        if (res.status === 200 && received > 0) skip = received; // server ignored Range: restart
        let failure: unknown;
        try {
          const r = await this.copyBody(res, out, feed, skip, (n) => {
            received += n;
            onBytes?.(n);
          });
          if (r === 'closed') return;
          if (received >= desc.size) {
            out.push(null);
            return;
          }
          failure = new Error(`connection closed after ${received} of ${desc.size} bytes`);
        } catch (e) {
          if (out.destroyed) return;
          failure = e;
        }
        if (resumes++ >= this.retries) {
          out.destroy(new DistillError(what, `download interrupted after ${received} of ${desc.size} bytes: ${netMessage(failure)} (gave up after ${resumes} resume attempt${resumes === 1 ? '' : 's'})`, { code: 'E_TRUNCATED' }));
          return;
        }
        await sleep(Math.min(10_000, this.backoffMs * 2 ** (resumes - 1)));
        try {
          res = await this.request('GET', url, { headers: { range: `bytes=${received}-` }, ok: [200, 206], what, bulk: true });
        } catch (e) {
          out.destroy(e instanceof Error ? e : new Error(String(e)));
          return;
        }
      }
    };
    void pump(first).catch((e) => out.destroy(e instanceof Error ? e : new Error(String(e))));
    return out;
  }

  /**
   * Copies one response body into `out`, dropping its first `skip` bytes (a server that ignored
   * Range and restarted), with backpressure and a stall timer. Resolves 'ended' when the body
   * ended, 'closed' when `out` was closed by its reader; rejects when the connection failed.
   */
  private copyBody(res: HttpResponse, out: Readable, feed: { wake: () => void }, skip: number, onChunk: (n: number) => void): Promise<'ended' | 'closed'> {
    const body = res.body;
    const stall = this.opts.stallTimeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (how: 'ended' | 'closed' | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(rate);
        clearTimeout(deadline);
        out.off('close', onOutClose);
        feed.wake = () => {};
        if (how instanceof Error) reject(how);
        else resolve(how);
      };
      const timer = setTimeout(() => {
        body.destroy();
        finish(new Error(`stalled: no data for ${stall} ms`));
      }, stall);
      // The stall timer fires only on silence; a server dripping a byte a second would keep a
      // pull going forever. So also: a minimum rate per window, and a deadline per request.
      const minRate = this.opts.minRate ?? 1024;
      const window = this.opts.rateWindowMs ?? 30_000;
      const deadlineMs = this.opts.deadlineMs ?? 3_600_000;
      let windowBytes = 0;
      const rate = setInterval(() => {
        const got = windowBytes;
        windowBytes = 0;
        // A paused body is our writer's backpressure, not the server's slowness.
        if (body.isPaused() || got >= (minRate * window) / 1000) return;
        body.destroy();
        finish(new Error(`too slow: ${got} bytes in ${window / 1000} s (minimum ${minRate} bytes/s)`));
      }, window);
      const deadline = setTimeout(() => {
        body.destroy();
        finish(new Error(`request took longer than ${deadlineMs / 1000} s`));
      }, deadlineMs);
      rate.unref?.();
      deadline.unref?.();
      const onOutClose = () => {
        body.destroy();
        finish('closed');
      };
      out.on('close', onOutClose);
      feed.wake = () => body.resume();
      body.on('data', (c: Buffer) => {
        timer.refresh();
        windowBytes += c.length;
        if (skip > 0) {
          const n = Math.min(skip, c.length);
          skip -= n;
          c = c.subarray(n);
          if (!c.length) return;
        }
        onChunk(c.length);
        if (!out.push(c)) body.pause();
      });
      body.on('end', () => finish('ended'));
      body.on('error', (e) => finish(e));
      // A socket closed without end or error (the peer hung up between chunks).
      body.on('close', () => finish(new Error('connection closed')));
    });
  }

  /** Pushes one blob unless present: mount from `mountFrom`, else monolithic or chunked upload. */
  async pushBlob(desc: { digest: Digest; size: number }, open: () => Promise<Readable>, mountFrom?: string): Promise<'exists' | 'mounted' | 'uploaded' | 'uploaded-chunked'> {
    const what = `blob ${desc.digest}`;
    if (await this.blobExists(desc.digest, what, desc.size)) return 'exists';
    const threshold = this.opts.chunkThreshold ?? 64 * MiB;
    return this.withRetries(what, async () => {
      const uploads = await this.url('blobs/uploads/');
      const start = mountFrom ? `${uploads}?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(mountFrom)}` : uploads;
      const res = await this.send('POST', start, { ok: [201, 202], what, headers: { 'content-length': '0' } });
      res.discard();
      if (res.status === 201 && mountFrom) return 'mounted';
      let location = this.location(res, start, what);
      if (desc.size > threshold) {
        location = await this.uploadChunks(location, desc, await open(), what);
        const done = new URL(location);
        done.searchParams.set('digest', desc.digest);
        (await this.send('PUT', done.href, { ok: [201], what, headers: { 'content-length': '0' } })).discard();
        return 'uploaded-chunked';
      }
      const put = new URL(location);
      put.searchParams.set('digest', desc.digest);
      let srcError: unknown;
      const r = await this.send('PUT', put.href, {
        ok: [201],
        what,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        body: async () => {
          const s = await open();
          s.on('error', (e) => (srcError = e));
          return this.counted(s);
        },
      }).catch((e) => {
        // The local blob itself is bad (digest mismatch): retrying cannot help.
        if (srcError instanceof DistillError) throw srcError;
        throw e;
      });
      r.discard();
      // The registry may accept the first `size` bytes of a blob that goes on (its descriptor
      // understates it): our own check of the source still fails the push.
      if (srcError instanceof DistillError) throw srcError;
      return 'uploaded';
    });
  }

  private location(res: HttpResponse, requestUrl: string, what: string): string {
    const loc = res.header('location');
    if (!loc) throw new DistillError(what, `upload answer HTTP ${res.status} has no Location header`, { code: 'E_NETWORK' });
    return new URL(loc, requestUrl).href;
  }

  /** `s` as a request body that reports bytes as they are sent. */
  private counted(s: Readable): Readable {
    const onBytes = this.opts.onBytes;
    if (onBytes) s.on('data', (c: Buffer) => onBytes(c.length));
    return s;
  }

  private async uploadChunks(location: string, desc: { size: number }, src: Readable, what: string): Promise<string> {
    const size = this.opts.chunkSize ?? 16 * MiB;
    let offset = 0;
    let loc = location;
    for await (const chunk of rechunk(src, size)) {
      const end = offset + chunk.length - 1;
      const res = await this.send('PATCH', loc, {
        ok: [202],
        what,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end}`, 'content-length': String(chunk.length) },
        body: () => chunk,
      });
      res.discard();
      this.opts.onBytes?.(chunk.length);
      loc = this.location(res, loc, what);
      offset += chunk.length;
    }
    if (offset !== desc.size) throw new DistillError(what, `blob has ${offset} bytes, expected ${desc.size}`, { code: 'E_SIZE_MISMATCH' });
    return loc;
  }

  /** PUTs manifest bytes as-is under `reference` (tag or digest); returns the registry's digest. */
  async putManifest(reference: string, raw: Uint8Array, mediaType: string, what: string): Promise<string | undefined> {
    const url = await this.url(`manifests/${reference}`);
    const res = await this.request('PUT', url, { ok: [200, 201, 202], what, headers: { 'content-type': mediaType }, body: () => Buffer.from(raw) });
    res.discard();
    return res.header('docker-content-digest');
  }
}

/** Splits a stream into buffers of exactly `size` bytes (the last may be shorter). */
async function* rechunk(src: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let n = 0;
  for await (const c of src) {
    let b = c as Buffer;
    while (n + b.length >= size) {
      const take = size - n;
      parts.push(b.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      n = 0;
      b = b.subarray(take);
    }
    if (b.length) {
      parts.push(b);
      n += b.length;
    }
  }
  if (n) yield Buffer.concat(parts);
}

/** An image read from a registry; remembers where it came from so pushes can mount its blobs. */
export class RegistryImage extends ManifestImage {
  constructor(
    raw: Uint8Array,
    open: (d: Descriptor) => Promise<Readable>,
    name: string,
    digest: Digest,
    readonly source: { registry: string; repository: string },
    private readonly client?: RegistryClient,
  ) {
    super(raw, open, name, digest);
  }

  /** The raw bytes of a blob from byte `offset` on (unverified: the caller hashes what it already has too). */
  openBlobFrom(desc: Descriptor, offset: number): Promise<Readable> {
    if (!this.client) throw new DistillError(this.name, 'this image cannot resume downloads', { code: 'E_UNSUPPORTED' });
    return this.client.openBlob(desc, `${this.name} blob ${desc.digest}`, offset);
  }
}

/** Opens the image `ref` names in a registry, choosing a platform from an index. */
export async function readRegistry(ref: string, opts: RegistryOptions = {}): Promise<Image> {
  const r = parseDockerRef(ref);
  const name = formatDockerRef(r);
  const client = new RegistryClient(r.registry, r.repository, ['pull'], opts);
  let m = await client.getManifest(r.digest ?? r.tag!, name);
  for (let depth = 0; isIndexType(m.mediaType); depth++) {
    if (depth > 4) throw new DistillError(name, 'index nesting is deeper than 4 levels', { code: 'E_REFUSED' });
    const desc = selectPlatform(parseIndex(m.raw, `${name} index`), opts.platform, name);
    m = await client.getManifest(desc.digest, name);
  }
  return new RegistryImage(m.raw, (d) => client.openBlob(d, `${name} blob ${d.digest}`), name, m.digest, { registry: r.registry, repository: r.repository }, client);
}

export interface PushResult {
  /** Canonical reference pushed to. */
  ref: string;
  digest: Digest;
  /** Manifest + config + layers, in bytes. */
  size: number;
  mediaType: string;
}

/** Pushes `image` to the registry reference `ref`; the pushed manifest bytes are the image's own. */
export async function pushRegistry(image: Image, ref: string, opts: RegistryOptions = {}): Promise<PushResult> {
  const r: DockerRef = parseDockerRef(ref);
  const name = formatDockerRef(r);
  const src = image instanceof RegistryImage ? image.source : undefined;
  const mountFrom = src && src.registry === r.registry && src.repository !== r.repository ? src.repository : undefined;
  const client = new RegistryClient(r.registry, r.repository, ['pull', 'push'], opts, mountFrom ? [`repository:${mountFrom}:pull`] : []);
  const manifest = await image.manifest();
  const raw = await image.rawManifest();
  const digest = sha256(raw);
  const layers = await image.layers();
  const limit = pLimit(opts.concurrency ?? DEFAULT_CONCURRENCY);
  const wrap = (e: unknown) => {
    if (e instanceof DistillError && !e.input.startsWith(name)) throw e.rewrap(name, `${e.input}: ${e.message}`);
    throw e;
  };
  const rawConfig = await image.rawConfig();
  const cfgDigest = sha256(rawConfig);
  if (cfgDigest !== manifest.config.digest) throw new DistillError(name, `config bytes hash to ${cfgDigest}, manifest says ${manifest.config.digest}`, { code: 'E_DIGEST_MISMATCH' });
  const push = async (d: { digest: Digest; size: number }, open: () => Promise<Readable>) => {
    const action = await client.pushBlob(d, open, mountFrom).catch(wrap);
    opts.onBlob?.({ digest: d.digest, size: d.size, action });
  };
  await Promise.all([
    ...layers.map((l) => limit(() => push({ digest: l.digest, size: l.size }, () => l.compressed()))),
    limit(() => push({ digest: cfgDigest, size: rawConfig.length }, async () => Readable.from([Buffer.from(rawConfig)]))),
  ]);
  const mediaType = manifest.mediaType ?? MediaType.OciManifest;
  const got = await client.putManifest(r.digest ?? r.tag!, raw, mediaType, name).catch(wrap);
  if (got && isDigest(got) && got !== digest) throw new DistillError(name, `registry stored the manifest as ${got}, expected ${digest}`, { code: 'E_DIGEST_MISMATCH' });
  if (r.digest && r.digest !== digest) throw new DistillError(name, `image digest is ${digest}, not the ${r.digest} the reference names`, { code: 'E_DIGEST_MISMATCH' });
  const size = raw.length + rawConfig.length + layers.reduce((a, l) => a + l.size, 0);
  return { ref: name, digest, size, mediaType };
}
