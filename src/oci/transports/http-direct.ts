/**
 * A plain-http GET on a connection of its own whose body chunks are the socket's own buffers.
 *
 * Node's HTTP parser copies every body chunk it hands out (the binding's on_body makes a new Buffer
 * of each slice), and that copy, its allocation and the parser's per-chunk JavaScript were about a
 * tenth of the CPU of a 200 MB pull from a loopback registry, on a machine where the pull is
 * CPU-bound: fresh processes downloading, hashing and writing the same four blobs took 0.47 s over
 * node:http and 0.435 s reading the socket directly (medians of 6, skopeo ~0.52 s). Blob downloads
 * over plain http (loopback and --insecure registries) therefore read the response here: status
 * line and headers parsed by hand, then the body framed by Content-Length, chunked encoding, or the
 * connection's end. Each download asks for `Connection: close`, so nothing is pooled. https keeps
 * node:https: decryption dominates there, and TLS needs Node's own handling of certificates.
 * Hand-written because no library exposes the socket's buffers as the body.
 */
import net from 'node:net';
import { Readable } from 'node:stream';

/** What the caller reads: the fields of http.IncomingMessage that http.ts uses. */
export interface DirectResponse extends Readable {
  statusCode: number;
  statusMessage: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** True once the whole body has been delivered. */
  complete: boolean;
}

const MAX_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 4096;
const CRLF2 = Buffer.from('\r\n\r\n');

/** The error of a request whose answer did not come in time (the same on both HTTP paths). */
export function noResponse(origin: string, timeoutMs: number): Error {
  return new Error(`no response from ${origin} within ${timeoutMs} ms`);
}

/** Rejects header names and values that would break the request's framing. */
function headerLine(name: string, value: string): string {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
  if (/[\r\n\0]/.test(value)) throw new Error(`invalid value for header ${name}`);
  return `${name}: ${value}\r\n`;
}

interface Head {
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
}

function parseHead(text: string, origin: string): Head {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m) throw new Error(`malformed HTTP status line from ${origin}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`malformed HTTP header from ${origin}`);
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { statusCode: Number(m[1]), statusMessage: m[2] ?? '', headers };
}

type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

function framing(h: Head, origin: string): Framing {
  if (h.statusCode === 204 || h.statusCode === 304) return { kind: 'length', left: 0 };
  const te = h.headers['transfer-encoding'];
  if (te !== undefined) {
    if (!/(^|,)\s*chunked\s*$/i.test(te)) throw new Error(`unsupported transfer-encoding "${te}" from ${origin}`);
    return { kind: 'chunked' };
  }
  const cl = h.headers['content-length'];
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) throw new Error(`invalid content-length "${cl}" from ${origin}`);
    return { kind: 'length', left: Number(cl) };
  }
  return { kind: 'close' };
}

/**
 * Decodes chunked transfer coding incrementally: `feed` returns the data bytes of what it is given
 * (views into it) and whether the last chunk and trailers have been seen.
 */
class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-crlf' | 'trailer' | 'done' = 'size';
  private line = '';
  private left = 0;

  feed(buf: Buffer, origin: string): { data: Buffer[]; done: boolean } {
    const data: Buffer[] = [];
    let i = 0;
    while (i < buf.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, buf.length - i);
        data.push(buf.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = 'data-crlf';
        continue;
      }
      // size, data-crlf and trailer read lines.
      const nl = buf.indexOf(10, i);
      const end = nl < 0 ? buf.length : nl + 1;
      this.line += buf.toString('latin1', i, end);
      i = end;
      if (this.line.length > MAX_CHUNK_LINE) throw new Error(`malformed chunked body from ${origin}: line too long`);
      if (nl < 0) break;
      const line = this.line.replace(/\r?\n$/, '');
      this.line = '';
      if (this.state === 'size') {
        const m = /^([0-9a-fA-F]+)\s*(;.*)?$/.exec(line);
        if (!m) throw new Error(`malformed chunked body from ${origin}: bad chunk size`);
        this.left = parseInt(m[1]!, 16);
        this.state = this.left === 0 ? 'trailer' : 'data';
      } else if (this.state === 'data-crlf') {
        if (line !== '') throw new Error(`malformed chunked body from ${origin}: missing CRLF after chunk`);
        this.state = 'size';
      } else if (line === '') {
        this.state = 'done';
      }
    }
    return { data, done: this.state === 'done' };
  }
}

/**
 * Sends `GET url` (http: only) with `headers` on a new connection and resolves with the response
 * once its head has arrived; rejects when none comes within `timeoutMs` of sending the request.
 */
export function directGet(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<DirectResponse> {
  if (url.protocol !== 'http:') return Promise.reject(new Error(`directGet needs an http: URL, not ${url.protocol}`));
  const origin = url.origin;
  let request: string;
  try {
    request = `GET ${url.pathname}${url.search} HTTP/1.1\r\n${headerLine('host', url.host)}`;
    for (const [k, v] of Object.entries(headers)) if (!/^(host|connection)$/i.test(k)) request += headerLine(k, v);
    request += 'connection: close\r\n\r\n';
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 80) });
    let timer: NodeJS.Timeout | undefined;
    let head: Buffer = Buffer.alloc(0);
    let answered = false;
    const fail = (e: Error) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    socket.write(request, () => {
      if (!answered) timer = setTimeout(() => fail(noResponse(origin, timeoutMs)), timeoutMs);
    });
    const onError = (e: Error) => fail(e);
    const onClose = () => fail(new Error(`socket hang up: ${origin} closed the connection before answering`));
    const onData = (c: Buffer) => {
      head = head.length ? Buffer.concat([head, c]) : c;
      for (;;) {
        const end = head.indexOf(CRLF2);
        if (end < 0) {
          if (head.length > MAX_HEAD) fail(new Error(`response headers from ${origin} exceed ${MAX_HEAD} bytes`));
          return;
        }
        let h: Head;
        try {
          h = parseHead(head.toString('latin1', 0, end), origin);
        } catch (e) {
          fail(e as Error);
          return;
        }
        const rest = head.subarray(end + 4);
        // Interim answers (100 Continue and the like) have no body and precede the real one.
        if (h.statusCode >= 100 && h.statusCode < 200) {
          head = rest;
          continue;
        }
        let f: Framing;
        try {
          f = framing(h, origin);
        } catch (e) {
          fail(e as Error);
          return;
        }
        answered = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        resolve(bodyStream(socket, h, f, rest, origin));
        return;
      }
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

/** The body as a Readable over `socket`, `first` being what arrived with the head. */
function bodyStream(socket: net.Socket, h: Head, f: Framing, first: Buffer, origin: string): DirectResponse {
  const chunked = f.kind === 'chunked' ? new ChunkedDecoder() : undefined;
  let ended = false;
  let received = 0;
  // Nothing flows until the reader first asks: an error or the end cannot reach a reader that has
  // not yet attached its listeners (the socket, paused, reads nothing meanwhile).
  socket.pause();
  let pending: Buffer | undefined = first.length ? first : undefined;
  const body = new Readable({
    read: () => {
      if (pending) {
        const p = pending;
        pending = undefined;
        if (!take(p)) return;
      }
      if (!ended) socket.resume();
    },
    destroy: (err, cb) => {
      socket.destroy();
      cb(err);
    },
  }) as DirectResponse;
  body.statusCode = h.statusCode;
  body.statusMessage = h.statusMessage;
  body.headers = h.headers;
  body.complete = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    body.complete = true;
    body.push(null);
    socket.destroy();
  };
  /** Passes on what `c` holds of the body; false when the reader is full (or the body is over). */
  const take = (c: Buffer): boolean => {
    if (ended || body.destroyed) return false;
    let parts: Buffer[];
    let done = false;
    if (f.kind === 'length') {
      // Bytes past the declared length are not this body's; the connection closes after it.
      if (c.length > f.left) c = c.subarray(0, f.left);
      f.left -= c.length;
      parts = c.length ? [c] : [];
      done = f.left === 0;
    } else if (chunked) {
      try {
        ({ data: parts, done } = chunked.feed(c, origin));
      } catch (e) {
        body.destroy(e as Error);
        return false;
      }
    } else {
      parts = [c];
    }
    let more = true;
    for (const p of parts) {
      received += p.length;
      more = body.push(p) && more;
    }
    if (done) finish();
    else if (!more) socket.pause();
    return more && !done;
  };
  socket.on('data', (c: Buffer) => void take(c));
  socket.on('end', () => {
    if (f.kind === 'close') finish();
  });
  socket.on('error', (e) => body.destroy(e));
  socket.on('close', () => {
    if (!ended && !body.destroyed) body.destroy(new Error(`connection to ${origin} closed after ${received} bytes of the body`));
  });
  if (f.kind === 'length' && f.left === 0) finish();
  return body;
}
