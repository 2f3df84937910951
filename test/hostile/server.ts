/**
 * A hostile registry on loopback for tests: serves images whose blobs misbehave on purpose (drip a
 * byte at a time, cut the body short, send more than declared, send other bytes) and whose
 * manifests carry a malformed or wrong Docker-Content-Digest. Read-only (pulls); every request is
 * logged with its Range header so tests can see resumes.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256, type Digest } from '../../src/oci/digest.ts';

export type BlobMode = 'ok' | 'drip' | 'short' | 'long' | 'wrong' | 'throttle';

export interface HostileLayer {
  data: Buffer;
  mode: BlobMode;
  mediaType?: string;
  /** The size the manifest declares, when it must lie. */
  declaredSize?: number;
  diffId: Digest;
}

export interface HostileRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** Adds image `repo:tag` with these layers; `dcd` replaces the manifest's Docker-Content-Digest. */
  add(repo: string, tag: string, layers: HostileLayer[], opts?: { dcd?: string }): Digest;
  log: { method: string; path: string; range?: string }[];
  /** Body bytes sent so far, per blob digest. */
  sent: Map<string, number>;
  /** Bytes per second of 'throttle' blobs (default 40 MB/s). */
  throttleRate: number;
  stop(): Promise<void>;
}

/** Starts the server on a free loopback port. */
export async function startHostileRegistry(): Promise<HostileRegistry> {
  const manifests = new Map<string, { raw: Buffer; dcd: string }>();
  const blobs = new Map<string, { data: Buffer; mode: BlobMode }>();
  const log: HostileRegistry['log'] = [];
  const sent = new Map<string, number>();
  const reg = { throttleRate: 40 * 1024 * 1024 } as HostileRegistry;

  const count = (d: string, n: number) => sent.set(d, (sent.get(d) ?? 0) + n);

  function serveBlob(d: string, b: { data: Buffer; mode: BlobMode }, range: string | undefined, res: ServerResponse, head: boolean): void {
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    const start = m && b.mode !== 'short' ? Number(m[1]) : 0;
    const body = b.data.subarray(start);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'docker-content-digest': d, 'accept-ranges': 'bytes' };
    const status = start > 0 ? 206 : 200;
    if (start > 0) headers['content-range'] = `bytes ${start}-${b.data.length - 1}/${b.data.length}`;
    headers['content-length'] = String(b.mode === 'long' ? body.length + 100 : body.length);
    res.writeHead(status, headers);
    if (head) return void res.end();
    switch (b.mode) {
      case 'ok':
        count(d, body.length);
        return void res.end(body);
      case 'long':
        count(d, body.length + 100);
        return void res.end(Buffer.concat([body, Buffer.alloc(100, 0x41)]));
      case 'wrong': {
        const x = Buffer.from(body);
        x[x.length >> 1]! ^= 0xff;
        count(d, x.length);
        return void res.end(x);
      }
      case 'short': {
        const half = body.subarray(0, body.length >> 1);
        count(d, half.length);
        res.write(half, () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      case 'drip': {
        let i = 0;
        const t = setInterval(() => {
          if (i >= body.length || res.destroyed) return clearInterval(t);
          count(d, 1);
          res.write(body.subarray(i, ++i));
        }, 100);
        res.on('close', () => clearInterval(t));
        return;
      }
      case 'throttle': {
        const step = 1024 * 1024;
        let off = 0;
        const next = () => {
          if (res.destroyed) return;
          if (off >= body.length) return void res.end();
          const c = body.subarray(off, off + step);
          off += c.length;
          count(d, c.length);
          const ok = res.write(c);
          const wait = (c.length / reg.throttleRate) * 1000;
          if (ok) setTimeout(next, wait);
          else res.once('drain', () => setTimeout(next, wait));
        };
        next();
        return;
      }
    }
  }

  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    log.push({ method, path, ...(req.headers.range ? { range: String(req.headers.range) } : {}) });
    req.resume();
    if (path === '/v2/' || path === '/v2') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    const mm = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (mm) {
      const m = manifests.get(`${mm[1]}:${mm[2]}`) ?? [...manifests.entries()].find(([k]) => k.endsWith(`@${mm[2]}`))?.[1];
      if (!m) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(m.raw.length), 'docker-content-digest': m.dcd });
      return void res.end(method === 'HEAD' ? undefined : m.raw);
    }
    const bm = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/.exec(path);
    const b = bm ? blobs.get(bm[1]!) : undefined;
    if (!bm || !b) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
    serveBlob(bm[1]!, b, req.headers.range, res, method === 'HEAD');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  reg.host = `127.0.0.1:${port}`;
  reg.log = log;
  reg.sent = sent;
  reg.add = (repo, tag, layers, opts = {}) => {
    const cfg = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
    blobs.set(sha256(cfg), { data: cfg, mode: 'ok' });
    const descs = layers.map((l) => {
      const d = sha256(l.data);
      blobs.set(d, { data: l.data, mode: l.mode });
      return { mediaType: l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d, size: l.declaredSize ?? l.data.length };
    });
    const raw = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(cfg), size: cfg.length }, layers: descs }));
    const digest = sha256(raw);
    manifests.set(`${repo}:${tag}`, { raw, dcd: opts.dcd ?? digest });
    manifests.set(`${repo}@${digest}`, { raw, dcd: opts.dcd ?? digest });
    return digest;
  };
  reg.stop = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return reg;
}
