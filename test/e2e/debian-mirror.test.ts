/**
 * Against the real Debian mirror named by this machine's apt sources: InRelease verified with the
 * Debian archive keyring, the bookworm Packages index parsed, a closure resolved and checked for
 * consistency, .debs downloaded and verified; then the real InRelease and Packages.xz served from
 * loopback, tampered with, and refused; and a corrupted cached real .deb refused.
 */
import { test, before } from '../helpers/real-mirror.ts';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readDebControl, readDebData } from '../../src/debian/deb.ts';
import { downloadDebs } from '../../src/debian/download.ts';
import { loadArchive, type Archive } from '../../src/debian/packages.ts';
import { fetchRelease } from '../../src/debian/release.ts';
import { resolve } from '../../src/debian/resolver.ts';
import { readAptSources, selectRepositories, type Repository } from '../../src/debian/sources.ts';
import { cachePath } from '../../src/util/cache.ts';
import { DistillError } from '../../src/util/errors.ts';
import { fetchText } from '../../src/util/fetch.ts';
import { serve, tmp, type TestServer } from '../debian/fakerepo.ts';
import { assertClosed } from '../debian/closure.ts';

// One cache for this file, under the temp dir, kept across runs so reruns stay fast.
process.env.DISTILL_CACHE_DIR = join(tmpdir(), 'distill-e2e-cache');

let archive: Archive;
let main: Repository;

before(async () => {
  const repos = selectRepositories();
  main = repos.find((r) => r.role === 'main')!;
  archive = await loadArchive({ repositories: repos });
});

test('repositories come from the system apt sources (no host in the code)', () => {
  const uris = new Set(readAptSources().flatMap((s) => s.uris));
  assert.ok(archive.repositories.length >= 1);
  for (const r of archive.repositories) assert.ok(uris.has(r.uri), `${r.uri} is in the apt sources`);
  assert.equal(main.suite, 'bookworm');
  assert.ok(archive.repositories.some((r) => r.role === 'security' && r.suite === 'bookworm-security'));
});

test('bookworm InRelease verifies against the Debian archive keyring', async () => {
  const rel = archive.releases.find((r) => r.repo.role === 'main')!;
  assert.equal(rel.codename, 'bookworm');
  assert.ok(rel.signers.length >= 1);
  assert.ok(rel.files.has('main/binary-amd64/Packages.xz'));
  assert.ok(rel.date && rel.date.getTime() < Date.now());
  assert.ok(archive.index.size > 50_000, `index has ${archive.index.size} packages`);
});

test('resolving libc6 libssl3 ca-certificates tzdata gives a consistent closure', () => {
  const r = resolve(archive.index, { packages: ['libc6', 'libssl3', 'ca-certificates', 'tzdata'] });
  const names = r.packages.map((p) => p.entry.name);
  for (const n of ['libc6', 'libgcc-s1', 'gcc-12-base', 'libssl3', 'ca-certificates', 'openssl', 'tzdata', 'debconf']) assert.ok(names.includes(n), `${n} in ${names.join(' ')}`);
  assert.deepEqual(names, [...names].sort());
  assert.ok(!names.includes('libc6-dev') && !names.includes('systemd'), 'nothing from Recommends');
  assertClosed(r);
  // Each package is the newest version across main, -updates and -security.
  for (const p of r.packages) assert.equal(p.entry.version, archive.index.get(p.entry.name)!.version);

  // What distroless does: leave out debconf (and so perl) and keep the rest consistent.
  const lean = resolve(archive.index, { packages: ['libc6', 'libssl3', 'ca-certificates', 'tzdata'], exclude: ['debconf'] });
  const leanNames = lean.packages.map((p) => p.entry.name);
  assert.ok(!leanNames.includes('debconf') && !leanNames.includes('perl-base') && !leanNames.includes('cdebconf'));
  assert.deepEqual(lean.excluded.map((x) => x.name), ['debconf']);
  assertClosed(lean, ['debconf']);
});

test('a few real .debs download, verify and read', async () => {
  const entries = ['libc6', 'gcc-12-base', 'tzdata', 'zlib1g'].map((n) => archive.index.get(n)!);
  const debs = await downloadDebs(entries, { progress: false });
  for (const d of debs) {
    const c = await readDebControl(d.path);
    assert.equal(c.control.Package, d.ref.name);
    assert.equal(c.control.Version, d.ref.version);
    assert.ok(c.md5sums.size > 0);
    if (d.ref.name === 'libc6') {
      const paths: string[] = [];
      for await (const e of readDebData(d.path)) paths.push(e.path);
      assert.ok(paths.some((p) => /^(usr\/)?lib\/x86_64-linux-gnu\/libc\.so\.6$/.test(p)), 'libc6 ships libc.so.6');
    }
  }
});

test('real InRelease and Packages.xz from loopback: tampering with either is refused', async (t) => {
  const rel = archive.releases.find((r) => r.repo.role === 'main')!;
  const root = tmp();
  const dist = join(root, 'dists', main.suite);
  mkdirSync(join(dist, 'main/binary-amd64'), { recursive: true });
  const inrelease = await fetchText(rel.url);
  writeFileSync(join(dist, 'InRelease'), inrelease);
  const xz = rel.files.get('main/binary-amd64/Packages.xz')!;
  const packagesXz = join(dist, 'main/binary-amd64/Packages.xz');
  copyFileSync(cachePath('indexes', xz.sha256), packagesXz);
  const server: TestServer = await serve(root);
  t.after(() => server.close());
  const repo: Repository = { uri: server.url, suite: main.suite, components: ['main'], role: 'main', ...(main.signedBy ? { signedBy: main.signedBy } : {}) };
  const fast = { retries: 0 };

  // Untouched copies verify (against the real keyring), proving the setup itself is sound.
  const ok = await fetchRelease(repo, { fetch: fast });
  assert.equal(ok.sha256, rel.sha256);

  // One byte of the Packages index changed.
  const bytes = readFileSync(packagesXz);
  bytes[1_000_000]! ^= 0x01;
  server.override.set(`/dists/${main.suite}/main/binary-amd64/Packages.xz`, bytes);
  process.env.DISTILL_CACHE_DIR = tmp('distill-e2e-tamper-');
  try {
    await assert.rejects(
      loadArchive({ repositories: [repo], fetch: fast }),
      (e: unknown) => e instanceof DistillError && e.input.startsWith(server.url) && /Packages index does not match the signed InRelease: sha256 mismatch/.test(e.message),
    );
  } finally {
    process.env.DISTILL_CACHE_DIR = join(tmpdir(), 'distill-e2e-cache');
  }

  // Signed text changed, signature kept.
  const tampered = inrelease.replace(/^(Version: .*)$/m, '$1.1');
  assert.notEqual(tampered, inrelease);
  server.override.set(`/dists/${main.suite}/InRelease`, Buffer.from(tampered));
  await assert.rejects(
    fetchRelease(repo, { fetch: fast }),
    (e: unknown) => e instanceof DistillError && e.input === `${server.url}/dists/${main.suite}/InRelease` && /bad InRelease signature/.test(e.message),
  );
});

test('a corrupted cached real .deb is refused', async () => {
  const entry = archive.index.get('gcc-12-base')!;
  const [d] = await downloadDebs([entry], { progress: false });
  assert.ok(d);
  const good = readFileSync(d.path);
  const bad = Buffer.from(good);
  bad[bad.length >> 1]! ^= 0xff;
  writeFileSync(d.path, bad);
  try {
    await assert.rejects(
      downloadDebs([entry], { progress: false, refetch: false }),
      (e: unknown) => e instanceof DistillError && e.input === d.path && /cached file is corrupted/.test(e.message),
    );
  } finally {
    writeFileSync(d.path, good);
  }
});
