/**
 * The registry client's parts without a real registry: reference parsing, loopback detection,
 * Retry-After and WWW-Authenticate parsing, credential files and helpers, and the Bearer token flow
 * and Range-less restarts against an in-process fake registry (node:http).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeImage, tempDir } from '../helpers/images.ts';
import { parseDockerRef, formatDockerRef, isLoopback, DOCKER_HUB } from '../../src/oci/docker-ref.ts';
import { findCredentials } from '../../src/oci/credentials.ts';
import { parseChallenge, parseRetryAfter, pushRegistry, readRegistry, RegistryClient } from '../../src/oci/transports/registry.ts';
import { DistillError } from '../../src/util/errors.ts';
import { readSmall } from '../../src/oci/layer.ts';

const D = `sha256:${'a'.repeat(64)}`;

test('parseDockerRef: hosts, ports, tags, digests and the Docker Hub default', () => {
  assert.deepEqual(parseDockerRef('127.0.0.1:5000/team/app:1'), { registry: '127.0.0.1:5000', repository: 'team/app', tag: '1' });
  assert.deepEqual(parseDockerRef('docker://localhost/app'), { registry: 'localhost', repository: 'app', tag: 'latest' });
  assert.deepEqual(parseDockerRef(`reg.example/a/b/c@${D}`), { registry: 'reg.example', repository: 'a/b/c', digest: D });
  assert.deepEqual(parseDockerRef(`reg.example:443/a:v1@${D}`), { registry: 'reg.example:443', repository: 'a', tag: 'v1', digest: D });
  assert.deepEqual(parseDockerRef('alpine'), { registry: DOCKER_HUB.name, repository: 'library/alpine', tag: 'latest' });
  assert.deepEqual(parseDockerRef('user/app:2'), { registry: DOCKER_HUB.name, repository: 'user/app', tag: '2' });
  assert.deepEqual(parseDockerRef('[::1]:5000/app:1'), { registry: '[::1]:5000', repository: 'app', tag: '1' });
  assert.equal(formatDockerRef(parseDockerRef('alpine:3')), `${DOCKER_HUB.name}/library/alpine:3`);
  assert.throws(() => parseDockerRef('Reg.example/App:1'), DistillError);
  assert.throws(() => parseDockerRef('reg.example/app@sha256:1234'), /invalid digest/);
  assert.throws(() => parseDockerRef('reg.example/app:bad/tag:x'), DistillError);
});

test('isLoopback: 127.0.0.0/8, localhost and [::1] only', () => {
  for (const h of ['127.0.0.1:5000', '127.1.2.3', 'localhost:80', 'localhost', '[::1]:5000']) assert.ok(isLoopback(h), h);
  for (const h of ['10.0.0.1:5000', 'reg.example', 'localhost.example', '128.0.0.1', '[::2]:5000']) assert.ok(!isLoopback(h), h);
});

test('parseRetryAfter: delta seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  const now = Date.parse('Mon, 23 Nov 2026 00:00:00 GMT');
  assert.equal(parseRetryAfter('Mon, 23 Nov 2026 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Sun, 22 Nov 2026 00:00:05 GMT', now), 0);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

test('parseChallenge: Bearer with quoted commas, Basic, unknown schemes', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'reg', scope: 'repository:a/b:pull,push' },
  });
  assert.deepEqual(parseChallenge('Basic realm="x"'), { scheme: 'basic', params: { realm: 'x' } });
  assert.equal(parseChallenge('Negotiate abc'), undefined);
  assert.equal(parseChallenge(null), undefined);
});

test('credentials: REGISTRY_AUTH_FILE before docker config, scheme-prefixed keys, credsStore helper', async () => {
  const dir = tempDir();
  const home = join(dir, 'home');
  mkdirSync(join(home, '.docker'), { recursive: true });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'https://reg.example/v1/': { auth: b64('bob:from-docker') } } }));
  const env = { HOME: home, PATH: process.env.PATH };
  assert.deepEqual(await findCredentials('reg.example', env), { username: 'bob', password: 'from-docker', source: join(home, '.docker', 'config.json') });
  assert.equal(await findCredentials('other.example', env), undefined);
  writeFileSync(join(dir, 'auth.json'), JSON.stringify({ auths: { 'reg.example': { auth: b64('amy:pa:ss') } } }));
  const c = await findCredentials('reg.example', { ...env, REGISTRY_AUTH_FILE: join(dir, 'auth.json') });
  assert.equal(c?.username, 'amy');
  assert.equal(c?.password, 'pa:ss');

  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'docker-credential-fake'), '#!/bin/sh\nread s\nif [ "$s" = "store.example" ]; then printf \'{"Username":"u","Secret":"from-helper"}\'; else echo "credentials not found in native keychain"; exit 1; fi\n');
  chmodSync(join(bin, 'docker-credential-fake'), 0o755);
  writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ credsStore: 'fake' }));
  const henv = { HOME: home, PATH: `${bin}:${process.env.PATH}` };
  assert.equal((await findCredentials('store.example', henv))?.password, 'from-helper');
  assert.equal(await findCredentials('nothing.example', henv), undefined);
});

test('plain http only for loopback or --insecure', async () => {
  assert.equal(await new RegistryClient('reg.example', 'a', ['pull']).base(), 'https://reg.example');
  assert.equal(await new RegistryClient(DOCKER_HUB.name, 'library/a', ['pull']).base(), `https://${DOCKER_HUB.apiHost}`);
});

test('a loopback registry is spoken to in the protocol its port speaks: plain http, or https', async () => {
  const dir = tempDir();
  const key = join(dir, 'key.pem');
  const crt = join(dir, 'crt.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', key, '-out', crt], { stdio: 'pipe' });
  const answer = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
  };
  const tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(crt) }, answer);
  const plain = createServer(answer);
  // A plain-http server that is no registry still gets plain http (its own error then says so).
  const other = createServer((_req, res) => res.writeHead(404).end('not here'));
  const ports: number[] = [];
  for (const s of [tls, plain, other]) {
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    ports.push((s.address() as { port: number }).port);
  }
  try {
    assert.equal(await new RegistryClient(`127.0.0.1:${ports[0]}`, 'a', ['pull']).base(), `https://127.0.0.1:${ports[0]}`);
    assert.equal(await new RegistryClient(`127.0.0.1:${ports[1]}`, 'a', ['pull']).base(), `http://127.0.0.1:${ports[1]}`);
    assert.equal(await new RegistryClient(`127.0.0.1:${ports[2]}`, 'a', ['pull']).base(), `http://127.0.0.1:${ports[2]}`);
  } finally {
    for (const s of [tls, plain, other]) s.close();
  }
});

test('an unknown registry host fails at once, without retries', async () => {
  await assert.rejects(readRegistry('no-such-host.invalid/a:1', { insecure: true, backoffMs: 10_000 }), (e: unknown) => {
    assert.ok(e instanceof DistillError);
    assert.match(e.message, /ENOTFOUND/);
    assert.doesNotMatch(e.message, /gave up after/);
    return true;
  });
});

test('Basic auth under concurrency: a 401 to a request sent before another authenticated is not a wrong password', async () => {
  // Every blob "exists"; unauthenticated requests get 401, and the config's first 401 comes late,
  // after a layer's request has already been answered, authenticated and sent again.
  const img = await makeImage([[{ name: 'a', content: 'a' }], [{ name: 'b', content: 'b' }]]);
  const cfgDigest = (await img.manifest()).config.digest;
  const sizes: Record<string, number> = Object.fromEntries([(await img.manifest()).config, ...(await img.manifest()).layers].map((d) => [d.digest, d.size]));
  const good = 'Basic ' + Buffer.from('alice:right-pw').toString('base64');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.headers.authorization ? 'auth' : 'anon'} ${req.url}`);
    if (req.headers.authorization !== good) {
      const answer = () => res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
      if (req.url!.endsWith(cfgDigest)) setTimeout(answer, 300);
      else answer();
      return;
    }
    if (req.method === 'HEAD') {
      // A registry's HEAD answers with the blob's own length (a push checks it against the descriptor).
      const d = req.url!.slice(req.url!.lastIndexOf('/') + 1);
      return void res.writeHead(200, sizes[d] !== undefined ? { 'content-length': String(sizes[d]) } : {}).end();
    }
    if (req.method === 'PUT' && req.url === '/v2/x/y/manifests/1') {
      req.resume();
      return void req.on('end', () => res.writeHead(201).end());
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const dir = tempDir();
    writeFileSync(join(dir, 'auth.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('alice:right-pw').toString('base64') } } }));
    const res = await pushRegistry(img, `${host}/x/y:1`, { env: { REGISTRY_AUTH_FILE: join(dir, 'auth.json'), HOME: dir }, backoffMs: 5 });
    assert.equal(res.digest, await img.digest());
    assert.ok(seen.includes(`HEAD anon /v2/x/y/blobs/${cfgDigest}`) && seen.includes(`HEAD auth /v2/x/y/blobs/${cfgDigest}`), seen.join('\n'));
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

/** A fake registry with a Bearer token endpoint, serving one image; the first blob GET is cut short. */
async function fakeRegistry(opts: { anonymous: boolean; ignoreRange: boolean; stall?: boolean; redirectTo?: (digest: string) => string; silentLayerGets?: number }) {
  const img = await makeImage([[{ name: 'f.bin', content: randomBytes(100_000) }]]);
  const raw = Buffer.from(await img.rawManifest());
  const cfg = Buffer.from(await img.rawConfig());
  const [layer] = await img.layers();
  const layerBytes = await readSmall(await layer!.compressed(), 1 << 24, 'layer');
  const blobs = new Map([[layer!.digest as string, layerBytes], [(await img.manifest()).config.digest as string, cfg]]);
  const tokenRequests: Array<{ auth?: string; scope: string[]; service: string | null }> = [];
  const ranges: string[] = [];
  let cut = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname === '/token') {
      tokenRequests.push({ auth: req.headers.authorization, scope: u.searchParams.getAll('scope'), service: u.searchParams.get('service') });
      const okAuth = req.headers.authorization === 'Basic ' + Buffer.from('alice:right-pw').toString('base64');
      if (!okAuth && !(opts.anonymous && !req.headers.authorization)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok-123' }));
      return;
    }
    if (req.headers.authorization !== 'Bearer tok-123') {
      const port = (server.address() as { port: number }).port;
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="fake",scope="repository:x/y:pull"` }).end();
      return;
    }
    if (u.pathname === '/v2/x/y/manifests/1') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': raw.length }).end(raw);
      return;
    }
    const m = /^\/v2\/x\/y\/blobs\/(sha256:[a-f0-9]{64})$/.exec(u.pathname);
    const b = m && blobs.get(m[1]!);
    if (!b) {
      res.writeHead(404).end();
      return;
    }
    if (b === layerBytes && (opts.silentLayerGets ?? 0) > 0) {
      // Take the request and never answer it.
      opts.silentLayerGets!--;
      return;
    }
    if (opts.redirectTo) {
      // Like registries that hand blob GETs to a storage host with a signed URL.
      res.writeHead(307, { location: opts.redirectTo(m[1]!) }).end();
      return;
    }
    if (req.headers.range) ranges.push(String(req.headers.range));
    const r = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    if (r && !opts.ignoreRange) {
      const from = Number(r[1]);
      res.writeHead(206, { 'content-length': b.length - from, 'content-range': `bytes ${from}-${b.length - 1}/${b.length}` }).end(b.subarray(from));
      return;
    }
    res.writeHead(200, { 'content-length': b.length });
    if (b === layerBytes && !cut) {
      cut = true;
      // Cut the connection, or (stall) leave it open with nothing more coming.
      res.write(b.subarray(0, 40_000), () => (opts.stall ? undefined : setTimeout(() => res.socket?.destroy(), 20)));
      return;
    }
    res.end(b);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return { img, host, tokenRequests, ranges, blobs, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

test('Bearer flow with basic credentials for the token, and a download restarted when Range is ignored', async () => {
  const f = await fakeRegistry({ anonymous: false, ignoreRange: true });
  try {
    const dir = tempDir();
    writeFileSync(join(dir, 'auth.json'), JSON.stringify({ auths: { [f.host]: { auth: Buffer.from('alice:right-pw').toString('base64') } } }));
    const env = { REGISTRY_AUTH_FILE: join(dir, 'auth.json'), HOME: dir };
    const img = await readRegistry(`${f.host}/x/y:1`, { env, backoffMs: 5 });
    assert.equal(await img.digest(), await f.img.digest());
    const [layer] = await img.layers();
    const got = await readSmall(await layer!.compressed(), 1 << 24, 'layer');
    assert.equal(got.length, layer!.size);
    assert.deepEqual(f.ranges, ['bytes=40000-']);
    assert.equal(f.tokenRequests[0]!.service, 'fake');
    assert.deepEqual(f.tokenRequests[0]!.scope, ['repository:x/y:pull']);
    assert.match(f.tokenRequests[0]!.auth ?? '', /^Basic /);

    writeFileSync(join(dir, 'auth.json'), JSON.stringify({ auths: { [f.host]: { auth: Buffer.from('alice:wrong-secret-pw').toString('base64') } } }));
    const err = await readRegistry(`${f.host}/x/y:1`, { env, backoffMs: 5 }).then(() => assert.fail('wrong password accepted'), (e: unknown) => e);
    assert.ok(err instanceof DistillError);
    assert.match(err.oneLine(), /authentication failed with credentials from .*auth\.json: token endpoint .* answered HTTP 401.*UNAUTHORIZED/);
    assert.ok(!err.oneLine().includes('wrong-secret-pw'));
  } finally {
    await f.close();
  }
});

test('Bearer flow anonymously when no credentials exist', async () => {
  const f = await fakeRegistry({ anonymous: true, ignoreRange: false });
  try {
    const dir = tempDir();
    const img = await readRegistry(`${f.host}/x/y:1`, { env: { HOME: dir }, backoffMs: 5 });
    assert.equal(await img.digest(), await f.img.digest());
    assert.equal(f.tokenRequests[0]!.auth, undefined);
  } finally {
    await f.close();
  }
});

test('a download that stalls is cut after the stall timeout and resumed with Range', async () => {
  const f = await fakeRegistry({ anonymous: true, ignoreRange: false, stall: true });
  try {
    const img = await readRegistry(`${f.host}/x/y:1`, { env: { HOME: tempDir() }, backoffMs: 5, stallTimeoutMs: 300 });
    const [layer] = await img.layers();
    const t0 = Date.now();
    const got = await readSmall(await layer!.compressed(), 1 << 24, 'layer');
    assert.equal(got.length, layer!.size);
    assert.ok(Date.now() - t0 >= 250);
    assert.deepEqual(f.ranges, ['bytes=40000-']);
  } finally {
    await f.close();
  }
});

test('blob GETs follow a redirect to another origin without the registry token; a cut download resumes there', async () => {
  // The storage host: serves whatever blob the registry redirects to, records what it was sent.
  const seen: Array<{ auth?: string; range?: string }> = [];
  const known: { blobs?: Map<string, Buffer> } = {};
  let cut = false;
  const storage = createServer((req, res) => {
    seen.push({ auth: req.headers.authorization, range: req.headers.range });
    const b = known.blobs?.get(new URL(req.url!, 'http://x').searchParams.get('d') ?? '');
    if (!b) return void res.writeHead(404).end();
    const r = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    if (r) return void res.writeHead(206, { 'content-length': b.length - Number(r[1]) }).end(b.subarray(Number(r[1])));
    res.writeHead(200, { 'content-length': b.length });
    if (b.length > 50_000 && !cut) {
      cut = true;
      res.write(b.subarray(0, 30_000), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(b);
  });
  await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
  const storageUrl = `http://127.0.0.1:${(storage.address() as { port: number }).port}`;
  const f = await fakeRegistry({ anonymous: true, ignoreRange: false, redirectTo: (d) => `${storageUrl}/blob?d=${d}&sig=abc` });
  known.blobs = f.blobs;
  try {
    const img = await readRegistry(`${f.host}/x/y:1`, { env: { HOME: tempDir() }, backoffMs: 5 });
    const [layer] = await img.layers();
    const got = await readSmall(await layer!.compressed(), 1 << 24, 'layer');
    assert.equal(got.length, layer!.size);
    assert.ok(seen.length >= 2, 'the layer was fetched from the storage host, and resumed there');
    assert.ok(seen.every((s) => s.auth === undefined), 'the registry token never reaches another origin');
    assert.ok(seen.some((s) => s.range === 'bytes=30000-'), 'the resume asked for the rest');
  } finally {
    await f.close();
    storage.closeAllConnections();
    await new Promise((r) => storage.close(r));
  }
});

test('a blob GET that is never answered is cut after the stall timeout and retried; one that never is fails on one line', async () => {
  const f = await fakeRegistry({ anonymous: true, ignoreRange: false, silentLayerGets: 1 });
  try {
    const img = await readRegistry(`${f.host}/x/y:1`, { env: { HOME: tempDir() }, backoffMs: 5, stallTimeoutMs: 300 });
    const [layer] = await img.layers();
    const got = await readSmall(await layer!.compressed(), 1 << 24, 'layer');
    assert.equal(got.length, layer!.size);
  } finally {
    await f.close();
  }
  const g = await fakeRegistry({ anonymous: true, ignoreRange: false, silentLayerGets: 100 });
  try {
    const img = await readRegistry(`${g.host}/x/y:1`, { env: { HOME: tempDir() }, backoffMs: 5, stallTimeoutMs: 200, retries: 1 });
    const [layer] = await img.layers();
    await assert.rejects(
      (async () => readSmall(await layer!.compressed(), 1 << 24, 'layer'))(),
      (e: unknown) => e instanceof DistillError && /no response from http:\/\/127\.0\.0\.1:\d+ within 200 ms \(gave up after 2 attempts\)/.test(e.oneLine()),
    );
  } finally {
    await g.close();
  }
});

test('size flags: bytes and K/M/G suffixes, garbage refused', async () => {
  const { parseBytes } = await import('../../src/cli/commands/copy.ts');
  assert.equal(parseBytes('1048576', '--chunk-size'), 1048576);
  assert.equal(parseBytes('512K', '--chunk-size'), 512 * 1024);
  assert.equal(parseBytes('16M', '--chunk-size'), 16 * 1024 * 1024);
  assert.equal(parseBytes('1GiB', '--chunk-size'), 1024 ** 3);
  assert.throws(() => parseBytes('lots', '--chunk-size'), /not a size/);
  assert.throws(() => parseBytes('0', '--chunk-size'), /greater than 0/);
});
