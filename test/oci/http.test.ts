/**
 * The registry client's HTTP layer (src/oci/transports/http.ts) against in-process node:http
 * servers: answers that come before the request body is sent, response timeouts that start only
 * once the body is sent, error bodies read up to a cap, redirects for GET only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { httpRequest } from '../../src/oci/transports/http.ts';

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test('an answer that comes before the body is sent is delivered, and the body source is closed', async () => {
  // An auth challenge or an error to an upload: the server does not wait for the bytes.
  const s = await serve((_req, res) => res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"' }).end('{"errors":[]}'));
  try {
    let produced = 0;
    const body = new Readable({
      read() {
        // An endless upload: only an early answer can finish this request.
        produced++;
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    const res = await httpRequest('PUT', `${s.url}/v2/a/blobs/uploads/x`, { body, headers: { 'content-length': String(1 << 30) } });
    assert.equal(res.status, 401);
    assert.equal(res.header('WWW-Authenticate'), 'Bearer realm="x"');
    assert.equal(await res.text(), '{"errors":[]}');
    assert.ok(body.destroyed, 'the body source is destroyed');
    const after = produced;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(produced, after, 'nothing more is read from the source');
  } finally {
    await s.close();
  }
});

test('the response timeout starts once the body is sent: a slow upload succeeds, a silent server is cut', async () => {
  const s = await serve((req, res) => {
    if (req.url === '/silent') return; // takes the request, never answers
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.writeHead(201).end(String(n)));
  });
  try {
    // Three chunks 150 ms apart: 300 ms of sending, against a 200 ms response timeout.
    const chunks = [Buffer.alloc(1000), Buffer.alloc(1000), Buffer.alloc(1000)];
    const body = new Readable({
      read() {
        const c = chunks.shift();
        setTimeout(() => this.push(c ?? null), c ? 150 : 0);
      },
    });
    const res = await httpRequest('PUT', `${s.url}/upload`, { body, timeoutMs: 200, headers: { 'content-length': '3000' } });
    assert.equal(res.status, 201);
    assert.equal(await res.text(), '3000');

    const t0 = Date.now();
    await assert.rejects(httpRequest('GET', `${s.url}/silent`, { timeoutMs: 200 }), /no response from http:\/\/127\.0\.0\.1:\d+ within 200 ms/);
    assert.ok(Date.now() - t0 < 5000);
  } finally {
    await s.close();
  }
});

test('text() reads an error body only up to its cap; a failing body source fails the request with its error', async () => {
  const s = await serve((req, res) => {
    if (req.url === '/big') return res.writeHead(500).end(Buffer.alloc(1 << 20, 0x61));
    req.resume();
    req.on('end', () => res.writeHead(201).end());
  });
  try {
    const res = await httpRequest('GET', `${s.url}/big`);
    assert.equal(res.status, 500);
    assert.equal(res.ok, false);
    assert.equal((await res.text(1024)).length, 1024);

    const body = new Readable({
      read() {
        this.destroy(new Error('local blob sha256:abc does not match its digest'));
      },
    });
    await assert.rejects(httpRequest('PUT', `${s.url}/up`, { body, headers: { 'content-length': '10' } }), /does not match its digest/);
  } finally {
    await s.close();
  }
});

test('GET follows redirects (dropping Authorization across origins); other methods get the redirect itself', async () => {
  const seen: Array<{ url?: string; auth?: string }> = [];
  const storage = await serve((req, res) => {
    seen.push({ url: req.url, auth: req.headers.authorization });
    res.writeHead(200).end('blob');
  });
  const reg = await serve((req, res) => {
    seen.push({ url: req.url, auth: req.headers.authorization });
    if (req.url === '/same') return res.writeHead(307, { location: '/final' }).end();
    if (req.url === '/final') return res.writeHead(200).end('same-origin');
    res.writeHead(307, { location: `${storage.url}/signed?x=1` }).end();
  });
  try {
    const r1 = await httpRequest('GET', `${reg.url}/same`, { headers: { authorization: 'Bearer t' } });
    assert.equal(await r1.text(), 'same-origin');
    assert.equal(r1.url, `${reg.url}/final`);
    const r2 = await httpRequest('GET', `${reg.url}/blob`, { headers: { authorization: 'Bearer t' } });
    assert.equal(await r2.text(), 'blob');
    assert.deepEqual(seen, [
      { url: '/same', auth: 'Bearer t' },
      { url: '/final', auth: 'Bearer t' },
      { url: '/blob', auth: 'Bearer t' },
      { url: '/signed?x=1', auth: undefined },
    ]);
    const r3 = await httpRequest('PUT', `${reg.url}/blob`, { body: Buffer.from('x') });
    assert.equal(r3.status, 307);
    r3.discard();
  } finally {
    await reg.close();
    await storage.close();
  }
});
