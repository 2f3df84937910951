/**
 * The cached default base (src/base/cached.ts) against a loopback Debian mirror: built once and
 * then reused without touching the mirror, one base for concurrent callers, a damaged entry
 * rebuilt from its own lockfile, and a lock left by a dead run neither blocks nor leaves litter.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensureBase, type EnsureBaseRequest } from '../../src/base/cached.ts';
import { readLockfile } from '../../src/base/lockfile.ts';
import { openImage } from '../../src/oci/reference.ts';
import { makeKey, makeRepo, serve, tmp, type DebSpec, type TestServer } from '../debian/fakerepo.ts';

let server: TestServer;
let request: EnsureBaseRequest;
const warnings: string[] = [];

before(async () => {
  const root = tmp('distill-cached-repo-');
  const key = await makeKey(root);
  // The static flavour's roots, shaped as Debian ships them: arch all, a file or two each.
  const roots: { name: string; files: Record<string, string> }[] = [
    { name: 'base-files', files: { 'etc/debian_version': '12.10\n', 'usr/share/doc/base-files/copyright': 'public domain\n' } },
    { name: 'netbase', files: { 'etc/services': 'http 80/tcp www\nhttps 443/tcp\n', 'etc/protocols': 'tcp 6 TCP\n' } },
    { name: 'tzdata', files: { 'usr/share/zoneinfo/UTC': 'TZif2\n' } },
    { name: 'media-types', files: { 'etc/mime.types': 'text/html html htm\n' } },
    { name: 'ca-certificates', files: { 'usr/share/doc/ca-certificates/copyright': 'MPL-2.0\n' } },
  ];
  const specs: DebSpec[] = roots.map((s) => ({ ...s, version: '1.0', arch: 'all' }));
  const repo = await makeRepo(join(root, 'repo'), specs, key.privateKey, { suite: 'distill-test' });
  server = await serve(repo.root);
  request = {
    flavour: 'static',
    archive: { mirror: server.url, suite: repo.suite, keyring: key.keyring, securityMirror: false, updates: false, fetch: { retries: 0 } },
    onWarning: (w) => warnings.push(w),
  };
});

after(async () => {
  await server.close();
});

/** A fresh, empty cache for one test. */
function freshCache(): string {
  const dir = tmp('distill-cached-cache-');
  process.env.DISTILL_CACHE_DIR = dir;
  return dir;
}

test('the first call builds the base into the cache, the second reuses it without the mirror', async () => {
  const cache = freshCache();
  const first = await ensureBase(request);
  assert.equal(first.built, true);
  assert.equal(first.dir, join(cache, 'bases', 'static'));
  assert.equal(first.ref, `oci:${join(first.dir, 'layout')}:nonroot`);
  const image = await openImage(first.ref);
  assert.equal(await image.digest(), first.digest);
  assert.equal((await image.config()).config?.User, '65532');
  const lock = readLockfile(first.lock);
  assert.deepEqual(lock.packages.map((p) => p.name), ['base-files', 'ca-certificates', 'media-types', 'netbase', 'tzdata']);

  const seen = server.requests.length;
  const second = await ensureBase(request);
  assert.deepEqual(second, { ...first, built: false });
  assert.equal(server.requests.length, seen, 'a cached base needs no mirror');
  assert.deepEqual(warnings, []);
});

test('two concurrent calls give one base and leave no temp dirs or lock behind', async () => {
  const cache = freshCache();
  const progress: string[] = [];
  const [a, b] = await Promise.all([ensureBase({ ...request, onProgress: (m) => progress.push(`a ${m}`) }), ensureBase({ ...request, onProgress: (m) => progress.push(`b ${m}`) })]);
  assert.deepEqual([a.built, b.built].sort(), [false, true]);
  assert.equal(a.digest, b.digest);
  assert.equal(a.ref, b.ref);
  assert.deepEqual(readdirSync(join(cache, 'bases')), ['static']);
  assert.deepEqual(readdirSync(a.dir).sort(), ['complete.json', 'distill.lock.json', 'layout']);
  // One built and said so; the other said it was waiting for it.
  assert.equal(progress.filter((m) => / building the static base into the cache: /.test(m)).length, 1);
  assert.equal(progress.filter((m) => / waiting for another distill run building the static base/.test(m)).length, 1);
});

test('a damaged entry is rebuilt from its own lockfile, to the same digest', async () => {
  freshCache();
  const first = await ensureBase(request);
  const lockText = readFileSync(first.lock, 'utf8');
  rmSync(join(first.dir, 'layout', 'index.json'));
  const seen = server.requests.length;
  const progress: string[] = [];
  const again = await ensureBase({ ...request, onProgress: (m) => progress.push(m) });
  assert.equal(again.built, true);
  assert.equal(again.digest, first.digest);
  assert.equal(readFileSync(again.lock, 'utf8'), lockText, 'the lockfile survives the rebuild unchanged');
  assert.deepEqual(server.requests.slice(seen).filter((p) => p.startsWith('/dists/')), [], 'the lockfile, not the index, said what to build');
  assert.match(progress.join('\n'), /from its lockfile/);
  assert.deepEqual(readdirSync(join(again.dir, '..')), ['static']);

  // A missing layer blob is damage too.
  const blobs = join(again.dir, 'layout', 'blobs', 'sha256');
  const manifest = (await (await openImage(again.ref)).manifest()) as { layers: { digest: string }[] };
  rmSync(join(blobs, manifest.layers[0]!.digest.slice(7)));
  const third = await ensureBase(request);
  assert.equal(third.built, true);
  assert.equal(third.digest, first.digest);
  assert.ok(existsSync(join(blobs, manifest.layers[0]!.digest.slice(7))));
});

test('a lock and a temp dir left by a run that died do not block the build and are cleaned up', async () => {
  const cache = freshCache();
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  const bases = join(cache, 'bases');
  mkdirSync(join(bases, `.static.tmp-${dead}-0badf00d`, 'layout'), { recursive: true });
  writeFileSync(join(bases, 'static.lock'), JSON.stringify({ pid: dead, host: hostname(), token: 'gone' }));
  const b = await ensureBase(request);
  assert.equal(b.built, true);
  assert.deepEqual(readdirSync(bases), ['static']);
});

test('a Node.js major that is not a number is refused before anything is built', async () => {
  const cache = freshCache();
  await assert.rejects(ensureBase({ ...request, flavour: 'nodejs', node: '../x' }), /expected a Node\.js major version/);
  assert.equal(existsSync(join(cache, 'bases')), false);
});
