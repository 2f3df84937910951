/**
 * src/util/fetch.ts and src/util/cache.ts, against a loopback server that fails on purpose:
 * retries with backoff, truncated bodies, 404s that are not retried, hash checks, and cache
 * writes that stay whole under concurrency.
 */
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { fetchText, fetchToCache, fetchToFile } from '../../src/util/fetch.ts';
import { cacheDir, cachePath, has, putBytes, putStream, verify } from '../../src/util/cache.ts';
import { DistillError } from '../../src/util/errors.ts';
import { serve, tmp, type TestServer } from './fakerepo.ts';

let server: TestServer;
let root: string;
const BODY = Buffer.alloc(300_000);
for (let i = 0; i < BODY.length; i++) BODY[i] = (i * 31) & 0xff;
const SHA = createHash('sha256').update(BODY).digest('hex');
const FAST = { retries: 2, backoffMs: 5 };

before(async () => {
  root = tmp();
  writeFileSync(join(root, 'blob'), BODY);
  server = await serve(root);
});
after(() => server.close());
// Each test starts from a plain server, so one failure cannot leave its faults to the next.
beforeEach(() => {
  if (!server) return;
  server.hooks.length = 0;
  server.requests.length = 0;
});

test('cacheDir honours DISTILL_CACHE_DIR, then XDG_CACHE_HOME', () => {
  const saved = { d: process.env.DISTILL_CACHE_DIR, x: process.env.XDG_CACHE_HOME };
  try {
    delete process.env.DISTILL_CACHE_DIR;
    process.env.XDG_CACHE_HOME = '/tmp/xdg-test';
    assert.equal(cacheDir(), '/tmp/xdg-test/distill');
    assert.equal(cachePath('blobs', `sha256:${SHA}`), `/tmp/xdg-test/distill/blobs/sha256/${SHA}`);
    assert.equal(cachePath('debs', SHA), `/tmp/xdg-test/distill/debs/sha256/${SHA}`);
    process.env.DISTILL_CACHE_DIR = '/tmp/elsewhere';
    assert.equal(cacheDir(), '/tmp/elsewhere');
    assert.throws(() => cachePath('blobs', 'sha256:nothex'), DistillError);
  } finally {
    if (saved.d === undefined) delete process.env.DISTILL_CACHE_DIR;
    else process.env.DISTILL_CACHE_DIR = saved.d;
    if (saved.x === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved.x;
  }
});

test('fetchToFile retries 5xx with backoff and verifies the hash', async () => {
  server.requests.length = 0;
  let fails = 2;
  server.hooks.length = 0;
  server.hooks.push((_req, res) => {
    if (fails-- > 0) {
      res.writeHead(503).end();
      return true;
    }
    return false;
  });
  const dest = join(tmp(), 'out');
  const r = await fetchToFile(`${server.url}/blob`, dest, { ...FAST, sha256: SHA });
  assert.deepEqual(r, { sha256: SHA, size: BODY.length });
  assert.deepEqual(readFileSync(dest), BODY);
  assert.equal(server.requests.length, 3);
  server.hooks.length = 0;
});

test('a body cut short is a clear "truncated" error after the retries, and leaves no file', async () => {
  server.hooks.length = 0;
  server.requests.length = 0;
  server.hooks.push((_req, res) => {
    res.writeHead(200, { 'content-length': BODY.length });
    res.write(BODY.subarray(0, 1000), () => res.destroy());
    return true;
  });
  const dir = tmp();
  await assert.rejects(
    fetchToFile(`${server.url}/blob`, join(dir, 'out'), FAST),
    (e: unknown) => e instanceof DistillError && e.input === `${server.url}/blob` && /after 3 attempts: download truncated: got \d+ of 300000 bytes/.test(e.message),
  );
  assert.equal(server.requests.length, 3);
  assert.deepEqual(readdirSync(dir), []);
  server.hooks.length = 0;
});

test('404 and hash mismatches fail at once, without retrying', async () => {
  server.requests.length = 0;
  await assert.rejects(fetchToFile(`${server.url}/missing`, join(tmp(), 'x'), FAST), (e: unknown) => e instanceof DistillError && /^HTTP 404/.test(e.message));
  assert.equal(server.requests.length, 1);
  server.requests.length = 0;
  await assert.rejects(fetchToFile(`${server.url}/blob`, join(tmp(), 'x'), { ...FAST, sha256: 'f'.repeat(64) }), /sha256 mismatch: expected sha256:f{64}, got sha256:/);
  assert.equal(server.requests.length, 1);
  await assert.rejects(fetchToFile(`${server.url}/blob`, join(tmp(), 'x'), { ...FAST, size: 5 }), /announces 300000 bytes, expected 5/);
});

test('fetchText enforces its size limit; file: URLs work like http', async () => {
  await assert.rejects(fetchText(`${server.url}/blob`, { maxBytes: 1000 }), /exceeds the 1000-byte limit/);
  const p = join(tmp(), 'f.txt');
  writeFileSync(p, 'hello\n');
  assert.equal(await fetchText(pathToFileURL(p).href), 'hello\n');
  await assert.rejects(fetchText('ftp://127.0.0.1/x', FAST), /unsupported URL scheme ftp:/);
});

test('fetchToCache stores content-addressed, reuses verified entries, replaces corrupted ones', async () => {
  process.env.DISTILL_CACHE_DIR = tmp('distill-cache-');
  server.requests.length = 0;
  const p = await fetchToCache(`${server.url}/blob`, 'blobs', `sha256:${SHA}`, FAST);
  assert.equal(p, cachePath('blobs', SHA));
  assert.ok(has('blobs', SHA) && (await verify('blobs', SHA)));
  await fetchToCache(`${server.url}/blob`, 'blobs', SHA, FAST);
  assert.equal(server.requests.length, 1, 'second call is a cache hit');
  writeFileSync(p, 'garbage');
  assert.equal(await verify('blobs', SHA), false);
  await assert.rejects(fetchToCache(`${server.url}/blob`, 'blobs', SHA, { ...FAST, refetch: false }), /cached file is corrupted/);
  await fetchToCache(`${server.url}/blob`, 'blobs', SHA, FAST);
  assert.deepEqual(readFileSync(p), BODY);
  assert.equal(server.requests.length, 2);
});

test('concurrent cache writes of the same content leave one whole entry and no temp files', async () => {
  process.env.DISTILL_CACHE_DIR = tmp('distill-cache-');
  const chunks = () => Readable.from((function* () {
    for (let i = 0; i < BODY.length; i += 4096) yield BODY.subarray(i, i + 4096);
  })());
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? putStream('blobs', chunks(), SHA) : putStream('blobs', chunks()))));
  for (const r of results) assert.deepEqual(r, { path: cachePath('blobs', SHA), sha256: SHA, size: BODY.length });
  assert.deepEqual(readFileSync(cachePath('blobs', SHA)), BODY);
  assert.deepEqual(readdirSync(join(cacheDir(), 'blobs', 'tmp')), []);
  await assert.rejects(putStream('blobs', chunks(), 'a'.repeat(64)), /content hashes to sha256:/);
  assert.ok(!has('blobs', 'a'.repeat(64)));
  const small = await putBytes('blobs', Buffer.from('x'));
  assert.equal(small.sha256, createHash('sha256').update('x').digest('hex'));
  assert.ok(existsSync(small.path));
});
