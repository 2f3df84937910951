/**
 * build's flavour choice from the closure, on real programs built here: a cgo Go binary needs base
 * (libc), Rust and C++ need cc (libgcc_s, libstdc++), a +crt-static Rust binary needs static, and
 * a library no flavour has is named for the caller to add as a package.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseFlavour, flavourProviding, needsOfSources } from '../../src/needs/flavour.ts';
import { tempDir } from '../helpers/images.ts';
import { cgoProgram, cxxProgram, have, rustProgram } from './programs.ts';

const choice = async (bin: string) => chooseFlavour(await needsOfSources([{ src: bin, dest: '/app/server' }]));
const x64 = process.arch === 'x64';

test('flavours by soname: glibc and OpenSSL are base, libgcc_s and libstdc++ are cc, others none', () => {
  assert.deepEqual(['libc.so.6', 'ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1', 'libssl.so.3', 'libnss_dns.so.2'].map(flavourProviding), ['base', 'base', 'base', 'base', 'base']);
  assert.deepEqual(['libgcc_s.so.1', 'libstdc++.so.6', 'libgomp.so.1'].map(flavourProviding), ['cc', 'cc', 'cc']);
  assert.deepEqual(['libxml2.so.2', 'libpq.so.5', 'libc.so.7'].map(flavourProviding), [undefined, undefined, undefined]);
});

test('a cgo Go binary gets base: it needs libc and the loader, nothing of cc', { skip: x64 ? false : 'x86-64 host' }, async () => {
  const bin = cgoProgram();
  if (!bin) return;
  const c = await choice(bin);
  assert.equal(c.flavour, 'base');
  assert.deepEqual(c.beyond, []);
  assert.ok(c.reasons.some((r) => r.need === 'libc.so.6' && r.file === '/app/server'));
});

test('Rust gets cc (libgcc_s.so.1); with +crt-static it gets static', { skip: x64 ? false : 'x86-64 host' }, async () => {
  const dyn = rustProgram();
  const stat = rustProgram(true);
  if (!dyn || !stat) return;
  const d = await choice(dyn);
  assert.equal(d.flavour, 'cc');
  assert.ok(d.reasons.some((r) => r.need === 'libgcc_s.so.1' && r.flavour === 'cc'));
  assert.deepEqual(await choice(stat), { flavour: 'static', beyond: [], reasons: [] });
});

test('C++ gets cc for libstdc++', { skip: x64 ? false : 'x86-64 host' }, async () => {
  const bin = cxxProgram();
  if (!bin) return;
  const c = await choice(bin);
  assert.equal(c.flavour, 'cc');
  assert.ok(c.reasons.some((r) => r.need === 'libstdc++.so.6'));
});

test('a library the app bundles next to it ($ORIGIN) is not asked of the base; one it does not bundle is "beyond"', { skip: have('gcc') ? false : 'needs gcc' }, async () => {
  const dir = tempDir('distill-flavour-');
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'own.c'), 'int own(void) { return 1; }\n');
  writeFileSync(join(dir, 'pq.c'), 'int PQping(void) { return 0; }\n');
  writeFileSync(join(dir, 'main.c'), 'int own(void); int PQping(void);\nint main(void) { return own() + PQping(); }\n');
  const gcc = (...a: string[]) => execFileSync('gcc', a, { cwd: dir, stdio: 'ignore' });
  gcc('-shared', '-fPIC', '-o', 'lib/libown.so.1', '-Wl,-soname,libown.so.1', 'own.c');
  gcc('-shared', '-fPIC', '-o', 'libpq.so.5', '-Wl,-soname,libpq.so.5', 'pq.c');
  gcc('-o', 'app', 'main.c', 'lib/libown.so.1', 'libpq.so.5', '-Wl,-rpath,$ORIGIN/lib', '-Wl,--enable-new-dtags');
  const out = join(dir, 'out');
  mkdirSync(join(out, 'lib'), { recursive: true });
  copyFileSync(join(dir, 'app'), join(out, 'app'));
  copyFileSync(join(dir, 'lib/libown.so.1'), join(out, 'lib/libown.so.1'));
  const c = chooseFlavour(await needsOfSources([{ src: out, dest: '/app' }]));
  assert.equal(c.flavour, 'base');
  assert.deepEqual(c.beyond, ['libpq.so.5']);
  assert.ok(!c.reasons.some((r) => r.need === 'libown.so.1'), 'the bundled library resolves through RUNPATH');
});
