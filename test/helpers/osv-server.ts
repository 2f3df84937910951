/**
 * A loopback OSV export for tests, in the real layout: `/ecosystems.txt` and
 * `/<Ecosystem>/all.zip`, answering as Google Cloud Storage does (ETag, Last-Modified,
 * `x-goog-hash: crc32c=…,md5=…`, 304 on a matching If-None-Match / If-Modified-Since). Records are
 * the tests' own; faults can be set per ecosystem to exercise every way a download goes wrong.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { zipBuffer } from '../vuln/helpers/zip.ts';

/** How one ecosystem's zip is served. */
export type OsvFault =
  | 'none'
  /** Announces the full length, sends half, ends the connection. */
  | 'truncate'
  /** A byte inside a record's compressed data flipped (the zip's CRC no longer matches). */
  | 'corrupt-record'
  /** A record that is not JSON, packed correctly. */
  | 'bad-json'
  | '404'
  | '500'
  /** Sends the headers and a few bytes, then nothing. */
  | 'stall'
  /** Sends half, then the server's socket is destroyed, as if the process died. */
  | 'kill';

interface Entry {
  zip: Buffer;
  md5: string;
  crc32c: string;
  etag: string;
  lastModified: string;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32C (Castagnoli) as GCS reports it: big-endian, base64. */
export function crc32cBase64(data: Buffer): string {
  let c = 0xffffffff;
  for (const b of data) c = CRC32C_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

/** One request as the server saw it. */
export interface Served {
  path: string;
  status: number;
  /** Body bytes written. */
  bytes: number;
}

export interface OsvServer {
  /** Base URL (no trailing slash). */
  url: string;
  requests: Served[];
  /** Sets (or replaces) an ecosystem's records; its ETag and Last-Modified change. */
  set(ecosystem: string, records: object[]): void;
  fault(ecosystem: string, fault: OsvFault): void;
  /** When false, conditional headers are ignored (a plain mirror): only x-goog-hash says "same". */
  conditional: boolean;
  /** Zip requests served with a full 200 body. */
  downloads(): string[];
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with `initial` ecosystems. */
export async function startOsvServer(initial: Record<string, object[]> = {}): Promise<OsvServer> {
  const entries = new Map<string, Entry>();
  const faults = new Map<string, OsvFault>();
  const sockets = new Set<Socket>();
  const requests: Served[] = [];
  let clock = Date.parse('2025-03-01T00:00:00Z');

  const set = (eco: string, records: object[]) => {
    const zip = zipBuffer(records.map((r, i) => [`${(r as { id?: string }).id ?? `r${i}`}.json`, JSON.stringify(r)]));
    clock += 60_000; // Last-Modified has one-second resolution: every change moves it on
    entries.set(eco, {
      zip,
      md5: createHash('md5').update(zip).digest('base64'),
      crc32c: crc32cBase64(zip),
      etag: `"${createHash('md5').update(zip).digest('hex')}"`,
      lastModified: new Date(clock).toUTCString(),
    });
  };
  for (const [eco, recs] of Object.entries(initial)) set(eco, recs);

  const handle = (req: IncomingMessage, res: ServerResponse, state: OsvServer) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    const log = (status: number, bytes = 0) => requests.push({ path, status, bytes });
    if (path === '/ecosystems.txt') {
      const body = [...entries.keys()].flatMap((e) => [e, ...(e === 'Debian' ? ['Debian:11', 'Debian:12'] : [])]).join('\n') + '\n';
      log(200, body.length);
      return res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    }
    const m = /^\/(.+)\/all\.zip$/.exec(path);
    const eco = m?.[1];
    const entry = eco ? entries.get(eco) : undefined;
    const fault = (eco && faults.get(eco)) ?? 'none';
    if (!entry || fault === '404') {
      log(404);
      return res.writeHead(404).end('not found');
    }
    if (fault === '500') {
      log(500);
      return res.writeHead(500).end('backend error');
    }
    const headers = {
      'content-type': 'application/zip',
      etag: entry.etag,
      'last-modified': entry.lastModified,
      'x-goog-hash': `crc32c=${entry.crc32c},md5=${entry.md5}`,
    };
    if (state.conditional) {
      const inm = req.headers['if-none-match'];
      const ims = req.headers['if-modified-since'];
      if ((inm && inm === entry.etag) || (!inm && ims && Date.parse(ims) >= Date.parse(entry.lastModified))) {
        log(304);
        return res.writeHead(304, headers).end();
      }
    }
    let body = entry.zip;
    if (fault === 'bad-json') {
      body = zipBuffer([['GHSA-bad0-bad0-bad0.json', '{"id": "GHSA-bad0-bad0-bad0", "modified": ']]);
      headers.etag = `"${createHash('md5').update(body).digest('hex')}"`;
      headers['x-goog-hash'] = `crc32c=${crc32cBase64(body)},md5=${createHash('md5').update(body).digest('base64')}`;
    }
    if (fault === 'corrupt-record') {
      body = Buffer.from(entry.zip);
      body[30 + body.readUInt16LE(26) + 4]! ^= 0x55; // inside the first entry's deflated data
      // The announced hash is the object's as stored, so only the zip's own CRC can tell.
      headers['x-goog-hash'] = `crc32c=${crc32cBase64(body)},md5=${createHash('md5').update(body).digest('base64')}`;
    }
    res.writeHead(200, { ...headers, 'content-length': String(body.length) });
    const half = body.subarray(0, Math.floor(body.length / 2));
    if (fault === 'truncate') {
      log(200, half.length);
      res.write(half, () => res.socket?.end());
      return;
    }
    if (fault === 'kill') {
      log(200, half.length);
      res.write(half, () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (fault === 'stall') {
      log(200, 16);
      res.write(body.subarray(0, 16));
      return; // never ends; close() destroys the socket
    }
    log(200, body.length);
    res.end(body);
  };

  const server: Server = createServer((req, res) => handle(req, res, api));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const api: OsvServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    set,
    fault: (eco, f) => void faults.set(eco, f),
    conditional: true,
    downloads: () => requests.filter((r) => r.status === 200 && r.path.endsWith('/all.zip')).map((r) => r.path.split('/')[1]!),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  return api;
}

/** A small, valid OSV record for `ecosystem`'s package `name`, affected below `fixed` (or always). */
export function osvRecord(id: string, ecosystem: string, name: string, opts: { fixed?: string; introduced?: string; modified?: string; severity?: string; aliases?: string[]; type?: string } = {}): object {
  return {
    schema_version: '1.6.0',
    id,
    modified: opts.modified ?? '2025-02-28T12:00:00Z',
    published: '2025-01-10T00:00:00Z',
    aliases: opts.aliases ?? [],
    summary: `${name}: test advisory ${id}`,
    affected: [
      {
        package: { ecosystem, name },
        ranges: [{ type: opts.type ?? 'ECOSYSTEM', events: [{ introduced: opts.introduced ?? '0' }, ...(opts.fixed ? [{ fixed: opts.fixed }] : [])] }],
        versions: null,
        ...(opts.severity ? { database_specific: { severity: opts.severity } } : {}),
      },
    ],
  };
}
