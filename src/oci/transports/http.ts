/**
 * The registry client's HTTP on node:http/https rather than fetch. fetch loads undici on first use
 * (about 25 ms of a CLI pull's start-up, measured with --cpu-prof) and hands bodies over as web
 * streams, a promise and a view per chunk: fresh processes fetching the four blobs of a 200 MB image
 * from a loopback registry, with sha256 and a file write, took 0.59-0.67 s in a bare fetch loop and
 * 0.44-0.51 s over node:http (skopeo copy 0.49-0.52 s).
 *
 * `httpRequest` sends one request (following redirects for GET and HEAD, with Authorization dropped
 * when a redirect leaves the origin: registries send blob GETs to storage hosts with signed URLs of
 * their own) and answers with the status, headers and the body as a Node stream. A server that
 * never answers is cut after `timeoutMs`, counted from when the request body has been sent.
 * Hand-written: a few dozen lines over node:http, which no library is needed for.
 */
import http from 'node:http';
import type { Readable } from 'node:stream';
import { directGet, noResponse } from './http-direct.ts';

/** What a request answered; `body` must be consumed or discarded. */
export interface HttpResponse {
  status: number;
  statusText: string;
  /** 2xx */
  ok: boolean;
  url: string;
  /** A response header (names are case-insensitive); repeated headers joined with ", ". */
  header(name: string): string | undefined;
  body: Readable;
  /** The body as text, at most `cap` bytes of it (the rest is discarded). */
  text(cap?: number): Promise<string>;
  /** Drops the body (and its connection, when the body has not ended). */
  discard(): void;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Request body: bytes, or a stream sent as it comes (give content-length in `headers`). */
  body?: Uint8Array | Readable;
  /** Longest wait for the response once the request is sent (default 60 s). */
  timeoutMs?: number;
  /**
   * A large body is expected (a blob): over plain http a GET then reads it on a connection of its
   * own, chunks straight from the socket (http-direct.ts). Redirects to https use node:https.
   */
  bulk?: boolean;
}

/** The parts of a response that both node:http and directGet give. */
type Incoming = Readable & {
  statusCode?: number;
  statusMessage?: string;
  headers: Record<string, string | string[] | undefined>;
  complete: boolean;
};

const MAX_REDIRECTS = 20;
const DEFAULT_TEXT_CAP = 64 * 1024;

type Mod = { request: typeof http.request };

async function moduleFor(url: URL): Promise<Mod> {
  // node:https (and TLS with it) loads only when a URL needs it: a plain-http pull starts sooner.
  if (url.protocol === 'https:') return (await import('node:https')).default;
  if (url.protocol === 'http:') return http;
  throw new Error(`unsupported protocol ${url.protocol}`);
}

async function once(method: string, url: URL, opts: RequestOptions): Promise<Incoming> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  if (opts.bulk && method === 'GET' && url.protocol === 'http:' && !opts.body) return directGet(url, opts.headers ?? {}, timeoutMs);
  const mod = await moduleFor(url);
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let answered = false;
    const arm = () => {
      // An answer can come before the body is all sent; its socket may serve others by now.
      if (answered) return;
      timer = setTimeout(() => req.destroy(noResponse(url.origin, timeoutMs)), timeoutMs);
    };
    const body = opts.body;
    const stream = body && !(body instanceof Uint8Array) ? body : undefined;
    // No accept-encoding: a blob's digest is over its stored bytes, which is what we want back.
    const req = mod.request(url, { method, headers: opts.headers }, (msg) => {
      answered = true;
      clearTimeout(timer);
      if (stream && !req.writableFinished) {
        // The server answered before taking the whole body (an auth challenge, an error): stop
        // sending, and drop the connection once the answer is read (it cannot carry another request).
        stream.unpipe(req);
        stream.destroy();
        msg.once('end', () => req.destroy());
      }
      resolve(msg);
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('finish', arm);
    if (stream) {
      // A failing source (a local blob that does not match its digest) fails the request with its error.
      stream.once('error', (e) => req.destroy(e));
      stream.pipe(req);
    } else {
      req.end(body);
    }
  });
}

function answer(method: string, msg: Incoming, url: URL): HttpResponse {
  const status = msg.statusCode ?? 0;
  return {
    status,
    statusText: msg.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    url: url.href,
    header(name) {
      const v = msg.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    body: msg,
    async text(cap = DEFAULT_TEXT_CAP) {
      const parts: Buffer[] = [];
      let n = 0;
      for await (const c of msg) {
        const b = c as Buffer;
        parts.push(b.subarray(0, cap - n));
        n += b.length;
        // Enough for any error document or token; the rest is not worth waiting for.
        if (n >= cap) break;
      }
      return Buffer.concat(parts).toString('utf8');
    },
    discard() {
      // A short body is read to its end so the connection can serve the next request.
      const len = Number(msg.headers['content-length']);
      if (msg.complete || method === 'HEAD' || len <= DEFAULT_TEXT_CAP) msg.resume();
      else msg.destroy();
    },
  };
}

/** Sends one request; GET and HEAD follow redirects. Rejects only when no answer came. */
export async function httpRequest(method: string, url: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  let u = new URL(url);
  let o = opts;
  for (let hop = 0; ; hop++) {
    const msg = await once(method, u, o);
    const status = msg.statusCode ?? 0;
    const location = msg.headers.location;
    if ((method === 'GET' || method === 'HEAD') && [301, 302, 303, 307, 308].includes(status) && location) {
      msg.resume();
      if (hop >= MAX_REDIRECTS) throw new Error(`too many redirects from ${url}`);
      const next = new URL(location, u);
      if (next.origin !== u.origin && o.headers) {
        o = { ...o, headers: Object.fromEntries(Object.entries(o.headers).filter(([k]) => k.toLowerCase() !== 'authorization')) };
      }
      u = next;
      continue;
    }
    if (status < 100 || status > 599) {
      msg.destroy();
      throw new Error(`unexpected HTTP status ${status} from ${u.origin}`);
    }
    return answer(method, msg, u);
  }
}
