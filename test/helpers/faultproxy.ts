/**
 * A fault-injecting HTTP proxy on loopback in front of a test registry (plain node:http
 * forwarding). Faults are consumed in order as matching requests arrive; every request is logged
 * so tests can count retries, Range requests, PATCHes and mounts.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';

export type FaultMode =
  /** Send the headers and half of a blob download, then cut the connection. */
  | 'drop-mid-blob'
  /** Pass through a blob download with one byte flipped (same length). */
  | 'corrupt-blob'
  /** Read part of an upload body, then cut the connection. */
  | 'drop-mid-upload'
  /** Answer 500 without forwarding. */
  | 'status-500'
  /** Answer 429 with a Retry-After header without forwarding. */
  | 'status-429'
  /** No fault (a placeholder that never fires). */
  | 'none';

export interface Fault {
  mode: FaultMode;
  /** Which requests it applies to (default: any). */
  match?: (r: { method: string; path: string }) => boolean;
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** Retry-After value for status-429 (default "1"). */
  retryAfter?: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  range?: string;
  fault?: FaultMode;
}

export interface FaultProxy {
  host: string;
  port: number;
  faults: Fault[];
  log: LoggedRequest[];
  stop(): Promise<void>;
}

/** A blob download (the proxy only faults those of more than 64 bytes). */
export const blobGet = (r: { method: string; path: string }) => r.method === 'GET' && /\/blobs\/sha256:/.test(r.path);
/** A blob upload request that carries data. */
export const blobUpload = (r: { method: string; path: string }) => (r.method === 'PUT' || r.method === 'PATCH') && /\/blobs\/uploads\//.test(r.path);

/** Starts a proxy on `listenHost` forwarding to `target` (`host:port`). */
export async function startFaultProxy(target: string, faults: Fault[] = [], listenHost = '127.0.0.1'): Promise<FaultProxy> {
  const [thost, tport] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const agent = new Agent({ keepAlive: true });
  const log: LoggedRequest[] = [];
  const proxy: FaultProxy = { host: '', port: 0, faults, log, stop: async () => {} };

  const take = (method: string, path: string, modes: FaultMode[]): Fault | undefined => {
    const f = proxy.faults.find((x) => modes.includes(x.mode) && (x.times ?? 1) > 0 && (!x.match || x.match({ method, path })));
    if (f) f.times = (f.times ?? 1) - 1;
    return f;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const entry: LoggedRequest = { method, path, status: 0, ...(req.headers.range ? { range: String(req.headers.range) } : {}) };
    log.push(entry);
    const early = take(method, path, ['status-500', 'status-429']);
    if (early) {
      entry.fault = early.mode;
      req.resume();
      entry.status = early.mode === 'status-500' ? 500 : 429;
      res.writeHead(entry.status, {
        'content-type': 'application/json',
        ...(early.mode === 'status-429' ? { 'retry-after': early.retryAfter ?? '1' } : {}),
      });
      res.end(JSON.stringify({ errors: [{ code: early.mode === 'status-500' ? 'UNKNOWN' : 'TOOMANYREQUESTS', message: 'injected by the fault proxy' }] }));
      return;
    }
    const upFault = blobUpload({ method, path }) ? take(method, path, ['drop-mid-upload']) : undefined;
    const up = httpRequest({ host: thost, port: tport, method, path, headers: req.headers, agent }, (ures) => {
      entry.status = ures.statusCode ?? 0;
      const len = Number(ures.headers['content-length'] ?? 0);
      const downFault = blobGet({ method, path }) && ures.statusCode && ures.statusCode < 300 && len > 64 ? take(method, path, ['drop-mid-blob', 'corrupt-blob']) : undefined;
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      if (!downFault) {
        ures.pipe(res);
        return;
      }
      entry.fault = downFault.mode;
      const half = Math.floor(len / 2);
      let sent = 0;
      ures.on('data', (c: Buffer) => {
        if (downFault.mode === 'drop-mid-blob') {
          if (sent + c.length >= half) {
            res.write(c.subarray(0, Math.max(0, half - sent)));
            sent = half;
            ures.destroy();
            // Let the half reach the client, then cut the connection without a clean end.
            setTimeout(() => res.socket?.destroy(), 50);
            return;
          }
          sent += c.length;
          res.write(c);
          return;
        }
        const b = Buffer.from(c);
        if (sent <= half && half < sent + b.length) b[half - sent]! ^= 0xff;
        sent += b.length;
        res.write(b);
      });
      ures.on('end', () => {
        if (downFault.mode === 'corrupt-blob') res.end();
      });
    });
    up.on('error', () => res.socket?.destroy());
    if (upFault) {
      entry.fault = upFault.mode;
      let got = 0;
      req.on('data', (c: Buffer) => {
        got += c.length;
        if (got > 16) {
          up.destroy();
          req.socket.destroy();
        }
      });
      return;
    }
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, listenHost, r));
  proxy.port = (server.address() as { port: number }).port;
  proxy.host = `${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${proxy.port}`;
  proxy.stop = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    agent.destroy();
  };
  return proxy;
}
