/**
 * Every flavour resolves against the real bookworm archive from the apt sources into a closed
 * set that carries what the flavour promises and none of what distroless leaves out; the lockfile
 * of a resolution is stable.
 */
import { test, before } from '../helpers/real-mirror.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { FLAVOUR_NAMES, flavour } from '../../src/base/flavours.ts';
import { lockFromResolution, serializeLockfile } from '../../src/base/lockfile.ts';
import { loadArchive, type Archive } from '../../src/debian/packages.ts';
import { resolve, type Resolution } from '../../src/debian/resolver.ts';
import { assertClosed } from '../debian/closure.ts';

process.env.DISTILL_CACHE_DIR = join(tmpdir(), 'distill-e2e-cache');

let archive: Archive;
const results = new Map<string, Resolution>();

before(async () => {
  archive = await loadArchive();
  for (const n of FLAVOUR_NAMES) {
    const f = flavour(n);
    results.set(n, resolve(archive.index, { packages: [...f.packages], exclude: [...f.exclude] }));
  }
});

const names = (n: string) => results.get(n)!.packages.map((p) => p.entry.name);

test('each flavour resolves to a closed set without package managers, shells or debconf', () => {
  for (const n of FLAVOUR_NAMES) {
    assertClosed(results.get(n)!, flavour(n).exclude);
    for (const never of ['dpkg', 'apt', 'debconf', 'perl-base', 'bash', 'dash', 'coreutils', 'openssl', 'gawk', 'mawk', 'util-linux']) {
      assert.ok(!names(n).includes(never), `${n} does not carry ${never}`);
    }
  }
});

test('static has no libc; base adds glibc and OpenSSL only; cc adds the GCC runtime', () => {
  assert.deepEqual(names('static'), ['base-files', 'ca-certificates', 'media-types', 'netbase', 'tzdata']);
  assert.deepEqual(names('base'), ['base-files', 'ca-certificates', 'libc6', 'libssl3', 'media-types', 'netbase', 'tzdata']);
  assert.deepEqual(names('cc'), [...names('base'), 'gcc-12-base', 'libgcc-s1', 'libgomp1', 'libstdc++6'].sort());
  assert.deepEqual(names('nodejs'), names('cc'));
});

test('python3 carries the 3.11 interpreter and stdlib; java the OpenJDK 17 headless runtime', () => {
  for (const p of ['python3.11-minimal', 'libpython3.11-minimal', 'libpython3.11-stdlib', 'libffi8', 'zlib1g', 'libexpat1']) assert.ok(names('python3').includes(p), p);
  for (const p of names('cc')) assert.ok(names('python3').includes(p), `python3 builds on cc: ${p}`);
  for (const p of ['openjdk-17-jre-headless', 'zlib1g', 'libstdc++6']) assert.ok(names('java').includes(p), p);
  for (const p of ['libcups2', 'libasound2', 'ca-certificates-java']) assert.ok(!names('java').includes(p), `java leaves out ${p}`);
});

test('the lockfile of a resolution is byte-stable and lists every resolved package', () => {
  const f = flavour('python3');
  const mk = () =>
    serializeLockfile(
      lockFromResolution({
        flavour: f.name,
        request: { packages: f.packages, exclude: f.exclude },
        resolution: resolve(archive.index, { packages: [...f.packages].reverse(), exclude: [...f.exclude] }),
        repositories: archive.repositories,
      }),
    );
  const a = mk();
  assert.equal(mk(), a);
  const lock = JSON.parse(a);
  assert.deepEqual(lock.packages.map((p: { name: string }) => p.name), names('python3'));
  for (const p of lock.packages) {
    assert.match(p.filename, /^pool\/.+\.deb$/);
    // The pin is the index entry it came from, and its repository is where that entry lives.
    const e = archive.index.versions(p.name).find((v) => v.version === p.version && v.sha256 === p.sha256);
    assert.ok(e, `${p.name} ${p.version} is in the index`);
    assert.equal(archive.repositories.find((r) => r.role === p.repository)!.uri, e.baseUri);
  }
});
