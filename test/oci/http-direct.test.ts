/**
 * Blob downloads over plain http read straight from the socket (src/oci/transports/http-direct.ts),
 * through httpRequest with `bulk`: every framing a server may choose (Content-Length, chunked,
 * connection close), interim 1xx answers, bodies cut short, malformed answers, silent servers, and
 * redirects. The servers are node:http where a real server's framing is wanted, and raw TCP where
 * the test needs bytes no well-behaved server sends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { httpRequest, type HttpResponse } from '../../src/oci/transports/http.ts';
import { directGet } from '../../src/oci/transports/http-direct.ts';

async function listen(server: net.Server): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url,
    close: () => {
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const serveHttp = (h: (req: IncomingMessage, res: ServerResponse) => void) => listen(createServer(h));

/** A TCP server that answers every connection with `reply` (after reading the request head). */
function serveRaw(reply: (sock: net.Socket, request: string) => void) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let req = '';
    sock.on('data', (c) => {
      req += c.toString('latin1');
      if (req.includes('\r\n\r\n')) reply(sock, req);
    });
    sock.on('error', () => {});
  });
  return listen(server).then((s) => ({
    ...s,
    close: async () => {
      for (const k of sockets) k.destroy();
      await s.close();
    },
  }));
}

async function readAll(res: HttpResponse): Promise<{ bytes: Buffer; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return { bytes: Buffer.concat(chunks), chunks };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('a Content-Length body arrives whole, in the socket\'s own buffers, with status and headers', async () => {
  const blob = randomBytes(3 * 1024 * 1024 + 17);
  let seen: IncomingMessage | undefined;
  const s = await serveHttp((req, res) => {
    seen = req;
    res.writeHead(200, { 'content-length': blob.length, 'docker-content-digest': `sha256:${sha(blob)}`, 'x-two': ['a', 'b'] });
    res.end(blob);
  });
  try {
    const res = await httpRequest('GET', `${s.url}/v2/a/blobs/x?y=1`, { bulk: true, headers: { authorization: 'Bearer t', range: 'bytes=0-' } });
    assert.equal(res.status, 200);
    assert.equal(res.ok, true);
    assert.equal(res.header('Docker-Content-Digest'), `sha256:${sha(blob)}`);
    assert.equal(res.header('x-two'), 'a, b');
    const { bytes, chunks } = await readAll(res);
    assert.equal(sha(bytes), sha(blob));
    // What the server got: the path, the query and our headers, on a connection not kept alive.
    assert.equal(seen!.url, '/v2/a/blobs/x?y=1');
    assert.equal(seen!.headers.authorization, 'Bearer t');
    assert.equal(seen!.headers.range, 'bytes=0-');
    assert.equal(seen!.headers.connection, 'close');
    // Most chunks are whole socket reads: the sole view of their memory, which the hash worker may take.
    const sole = chunks.filter((c) => c.byteOffset === 0 && c.byteLength === c.buffer.byteLength).length;
    assert.ok(sole >= chunks.length - 2, `${sole} of ${chunks.length} chunks own their memory`);
  } finally {
    await s.close();
  }
});

test('a chunked body is decoded, whatever the split of its framing across reads', async () => {
  const parts = [randomBytes(70_000), randomBytes(1), randomBytes(5000)];
  const wire = Buffer.concat([
    ...parts.flatMap((p, i) => [Buffer.from(`${p.length.toString(16)}${i === 1 ? ';ext=1' : ''}\r\n`), p, Buffer.from('\r\n')]),
    Buffer.from('0\r\nx-trailer: 1\r\n\r\n'),
  ]);
  const s = await serveRaw((sock) => {
    sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    // Dribbled in 7-byte pieces so sizes, CRLFs and data all straddle reads.
    let i = 0;
    const tick = () => {
      if (i >= wire.length) return;
      sock.write(wire.subarray(i, Math.min(i + 7, wire.length)));
      i += 7;
      if (i < 200 || i > wire.length - 200) setTimeout(tick, 1);
      else {
        sock.write(wire.subarray(i, wire.length - 200));
        i = wire.length - 200;
        setTimeout(tick, 1);
      }
    };
    tick();
  });
  try {
    const res = await httpRequest('GET', `${s.url}/b`, { bulk: true });
    const { bytes } = await readAll(res);
    assert.equal(sha(bytes), sha(Buffer.concat(parts)));
    assert.equal(res.body.readableEnded, true);
  } finally {
    await s.close();
  }
});

test('a body without length or chunking ends with the connection; a 1xx before the answer is skipped', async () => {
  const s = await serveRaw((sock) => {
    sock.end('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil the end');
  });
  try {
    const res = await httpRequest('GET', `${s.url}/b`, { bulk: true });
    assert.equal(res.status, 200);
    assert.equal(res.header('x-a'), '1');
    assert.equal((await readAll(res)).bytes.toString(), 'until the end');
  } finally {
    await s.close();
  }
});

test('a body cut short fails the stream with an error naming how much arrived', async () => {
  const s = await serveRaw((sock) => {
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
    sock.end(Buffer.alloc(4000));
  });
  try {
    const res = await httpRequest('GET', `${s.url}/b`, { bulk: true });
    await assert.rejects(readAll(res), /closed after 4000 bytes of the body/);
  } finally {
    await s.close();
  }
});

test('an error answer is read like any other: status, then its text', async () => {
  const s = await serveHttp((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}'));
  try {
    const res = await httpRequest('GET', `${s.url}/v2/a/blobs/sha256:00`, { bulk: true });
    assert.equal(res.status, 404);
    assert.equal(res.ok, false);
    assert.match(await res.text(), /BLOB_UNKNOWN/);
  } finally {
    await s.close();
  }
});

test('malformed answers, silent servers and hang-ups are errors naming the server', async () => {
  const cases: Array<[string, (sock: net.Socket) => void, RegExp]> = [
    ['no status line', (k) => k.end('SSH-2.0-OpenSSH\r\n\r\n'), /malformed HTTP status line from http:\/\/127\.0\.0\.1:\d+/],
    ['bad length', (k) => k.end('HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n'), /invalid content-length "12x"/],
    ['odd coding', (k) => k.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'), /unsupported transfer-encoding "gzip"/],
    ['hang-up', (k) => k.end(), /closed the connection before answering/],
    ['huge head', (k) => k.write(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`), /exceed 65536 bytes/],
  ];
  for (const [name, reply, err] of cases) {
    const s = await serveRaw(reply);
    try {
      await assert.rejects(httpRequest('GET', `${s.url}/b`, { bulk: true }), err, name);
    } finally {
      await s.close();
    }
  }
  const silent = await serveRaw(() => {});
  try {
    await assert.rejects(httpRequest('GET', `${silent.url}/b`, { bulk: true, timeoutMs: 150 }), /no response from http:\/\/127\.0\.0\.1:\d+ within 150 ms/);
  } finally {
    await silent.close();
  }
});

test('a malformed chunk size fails the body', async () => {
  const s = await serveRaw((k) => k.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'));
  try {
    const res = await httpRequest('GET', `${s.url}/b`, { bulk: true });
    await assert.rejects(readAll(res), /bad chunk size/);
  } finally {
    await s.close();
  }
});

test('header values that would split the request are refused before anything is sent', async () => {
  let connections = 0;
  const s = await serveRaw(() => connections++);
  try {
    await assert.rejects(directGet(new URL(`${s.url}/b`), { authorization: 'Bearer x\r\nX-Evil: 1' }, 1000), /invalid value for header authorization/);
    await assert.rejects(directGet(new URL(`${s.url}/b`), { 'bad name': 'x' }, 1000), /invalid header name/);
    assert.equal(connections, 0);
  } finally {
    await s.close();
  }
});

test('a redirect to another origin is followed without the Authorization header', async () => {
  const blob = randomBytes(100_000);
  let auth: string | undefined = 'unset';
  const storage = await serveHttp((req, res) => {
    auth = req.headers.authorization;
    res.writeHead(200, { 'content-length': blob.length }).end(blob);
  });
  const reg = await serveHttp((req, res) => {
    assert.equal(req.headers.authorization, 'Bearer secret');
    res.writeHead(307, { location: `${storage.url}/signed?x=1` }).end();
  });
  try {
    const res = await httpRequest('GET', `${reg.url}/v2/a/blobs/x`, { bulk: true, headers: { authorization: 'Bearer secret' } });
    assert.equal(res.status, 200);
    assert.equal(sha((await readAll(res)).bytes), sha(blob));
    assert.equal(auth, undefined);
  } finally {
    await reg.close();
    await storage.close();
  }
});

test('a reader that gives up closes the connection', async () => {
  let closed = false;
  const s = await serveRaw((sock) => {
    sock.on('close', () => (closed = true));
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n');
    sock.write(Buffer.alloc(65536));
  });
  try {
    const res = await httpRequest('GET', `${s.url}/b`, { bulk: true });
    res.discard();
    for (let i = 0; i < 50 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closed, 'the server saw the connection close');
  } finally {
    await s.close();
  }
});
