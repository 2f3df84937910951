/**
 * The closure of real programs (built here with gcc, g++, rustc and go) inside images made
 * in-process: what audit and build rely on — libc missing on an image without glibc, resolved
 * with it, a too-new GLIBCXX requirement reported too old, static binaries needing nothing, hints
 * checked against the image, and layers applied (a later layer's file wins, whiteouts remove).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { makeImage, type TestEntry } from '../helpers/images.ts';
import { needsOfImage, needsOfDir, unresolvedNames } from '../../src/needs/index.ts';
import { cgoProgram, cxxProgram, futureCxxProgram, hintProgram, hostLib, rustProgram } from './programs.ts';

const MULTI = '/usr/lib/x86_64-linux-gnu';
const glibcHost = hostLib('libc.so.6') && process.arch === 'x64';

/** Host libraries as image entries in the Debian multiarch directory, with the /lib64 loader link. */
function hostLibs(names: string[]): TestEntry[] {
  const out: TestEntry[] = [{ name: 'lib64', type: 'symlink', linkname: `${MULTI}` }];
  for (const n of names) out.push({ name: `${MULTI.slice(1)}/${n}`, content: readFileSync(realpathSync(hostLib(n)!)), mode: 0o755 });
  return out;
}
const GLIBC = ['ld-linux-x86-64.so.2', 'libc.so.6', 'libm.so.6'];
const CC = [...GLIBC, 'libgcc_s.so.1', 'libstdc++.so.6'];
const app = (path: string, bin: string): TestEntry => ({ name: path, content: readFileSync(bin), mode: 0o755 });

const skipUnless = (ok: unknown, why: string) => (ok ? false : why);

test('a cgo Go binary on an image without glibc: libc.so.6 and the loader are missing', { skip: skipUnless(glibcHost && cgoProgram, 'needs go, gcc and an x86-64 glibc host') }, async () => {
  const bin = cgoProgram();
  if (!bin) return;
  const r = await needsOfImage(await makeImage([[app('app/server', bin), { name: 'etc/passwd', content: 'nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n' }]]), 'static-like');
  const f = r.files.find((x) => x.path === '/app/server')!;
  assert.equal(f.ok, false);
  assert.equal(f.interpreter?.status, 'missing');
  assert.deepEqual(f.needs.map((n) => [n.name, n.status]), [['libc.so.6', 'missing']]);
  assert.deepEqual(unresolvedNames(r), ['libc.so.6']);
  assert.equal(r.summary.missing, 1);
});

test('the same binary with glibc in the image resolves, loader through the /lib64 link', { skip: skipUnless(glibcHost, 'needs an x86-64 glibc host') }, async () => {
  const bin = cgoProgram();
  if (!bin) return;
  const r = await needsOfImage(await makeImage([hostLibs(GLIBC), [app('app/server', bin)]]), 'base-like');
  const f = r.files.find((x) => x.path === '/app/server')!;
  assert.equal(f.ok, true, JSON.stringify(f));
  assert.equal(f.interpreter?.resolved, `${MULTI}/ld-linux-x86-64.so.2`);
  assert.deepEqual(f.needs, [{ name: 'libc.so.6', status: 'resolved', path: `${MULTI}/libc.so.6`, via: 'default' }]);
  // The libraries themselves resolve against each other too.
  assert.ok(r.files.filter((x) => !x.app).every((x) => x.ok), 'glibc is self-consistent');
});

test('C++ needs libstdc++ and libgcc_s: missing on glibc alone, resolved with versions on cc', { skip: skipUnless(glibcHost && hostLib('libstdc++.so.6'), 'needs g++ and the host libstdc++') }, async () => {
  const bin = cxxProgram();
  if (!bin) return;
  const base = await needsOfImage(await makeImage([hostLibs(GLIBC), [app('app/hello', bin)]]), 'base');
  assert.deepEqual(unresolvedNames(base), ['libgcc_s.so.1', 'libstdc++.so.6']);
  const cc = await needsOfImage(await makeImage([hostLibs(CC), [app('app/hello', bin)]]), 'cc');
  const f = cc.files.find((x) => x.path === '/app/hello')!;
  assert.equal(f.ok, true, JSON.stringify(f.needs));
  assert.deepEqual(f.needs.map((n) => n.name).sort(), ['libc.so.6', 'libgcc_s.so.1', 'libstdc++.so.6']);
});

test('a binary requiring GLIBCXX_3.4.99 is "too old" against the real libstdc++', { skip: skipUnless(glibcHost && hostLib('libstdc++.so.6'), 'needs gcc and the host libstdc++') }, async () => {
  const bin = futureCxxProgram();
  if (!bin) return;
  const r = await needsOfImage(await makeImage([hostLibs(CC), [app('app/future', bin)]]), 'cc');
  const n = r.files.find((x) => x.path === '/app/future')!.needs.find((x) => x.name === 'libstdc++.so.6')!;
  assert.equal(n.status, 'too-old');
  assert.equal(n.path, `${MULTI}/libstdc++.so.6`);
  assert.deepEqual(n.missingVersions, ['GLIBCXX_3.4.99']);
  assert.equal(r.summary.tooOld, 1);
});

test('Rust: libgcc_s.so.1 needed by default; +crt-static gives a static PIE that needs nothing', { skip: skipUnless(glibcHost, 'needs an x86-64 glibc host') }, async () => {
  const dyn = rustProgram();
  const stat = rustProgram(true);
  if (!dyn || !stat) return;
  const r = await needsOfImage(await makeImage([hostLibs(CC), [app('app/dyn', dyn), app('app/static', stat)]]), 'cc');
  const d = r.files.find((x) => x.path === '/app/dyn')!;
  assert.equal(d.ok, true);
  assert.ok(d.needs.some((n) => n.name === 'libgcc_s.so.1' && n.path === `${MULTI}/libgcc_s.so.1`));
  const s = r.files.find((x) => x.path === '/app/static')!;
  assert.deepEqual([s.linkage, s.needs, s.ok], ['static-pie', [], true]);
});

test('layers apply: a library replaced by a later layer, or whited out, no longer satisfies', { skip: skipUnless(glibcHost, 'needs an x86-64 glibc host') }, async () => {
  const bin = cgoProgram();
  if (!bin) return;
  const replaced = await needsOfImage(await makeImage([hostLibs(GLIBC), [{ name: `${MULTI.slice(1)}/libc.so.6`, content: 'not a library\n' }], [app('app/server', bin)]]), 'x');
  assert.deepEqual(replaced.files.find((x) => x.path === '/app/server')!.needs.map((n) => n.status), ['missing']);
  const removed = await needsOfImage(await makeImage([hostLibs(GLIBC), [{ name: `${MULTI.slice(1)}/.wh.libc.so.6`, content: '' }], [app('app/server', bin)]]), 'x');
  assert.deepEqual(removed.files.find((x) => x.path === '/app/server')!.needs.map((n) => n.status), ['missing']);
});

test('bodies the collector stops reading early (large non-ELF files) do not disturb the entries after them', { skip: skipUnless(glibcHost, 'needs an x86-64 glibc host') }, async () => {
  const bin = cgoProgram();
  if (!bin) return;
  const big = Buffer.alloc(3 * 1024 * 1024, 'not ELF, read no further than its first chunk\n');
  const plain = await needsOfImage(await makeImage([[...hostLibs(GLIBC), app('app/server', bin)]]), 'x');
  const padded = await needsOfImage(await makeImage([[{ name: 'aaa/blob', content: big }, ...hostLibs(GLIBC), { name: 'usr/lib/x86_64-linux-gnu/zzz.dat', content: big }, app('app/server', bin)]]), 'x');
  assert.deepEqual(padded.files, plain.files);
  assert.equal(padded.files.find((x) => x.path === '/app/server')?.ok, true);
});

test('hints: a dlopen()ed libssl and the CA bundle and zoneinfo paths, each checked against the image', { skip: skipUnless(glibcHost, 'needs gcc on an x86-64 glibc host') }, async () => {
  const bin = hintProgram();
  if (!bin) return;
  const bare = await needsOfImage(await makeImage([hostLibs(GLIBC), [app('app/hinted', bin)]]), 'bare');
  const byKind = (r: typeof bare, kind: string) => r.hints.find((h) => h.kind === kind);
  assert.deepEqual([byKind(bare, 'dlopen')?.what, byKind(bare, 'dlopen')?.satisfied], ['libssl.so.3', false]);
  assert.equal(byKind(bare, 'dlopen')?.evidence.path, '/app/hinted');
  assert.equal(byKind(bare, 'ca-bundle')?.satisfied, false);
  assert.equal(byKind(bare, 'tzdata')?.satisfied, false);
  const full = await needsOfImage(
    await makeImage([
      [...hostLibs(GLIBC), { name: 'etc/ssl/certs/ca-certificates.crt', content: '-----BEGIN CERTIFICATE-----\n' }, { name: 'usr/share/zoneinfo/UTC', content: 'TZif2' }],
      [app('app/hinted', bin)],
    ]),
    'full',
  );
  assert.deepEqual([byKind(full, 'ca-bundle')?.satisfied, byKind(full, 'ca-bundle')?.by], [true, '/etc/ssl/certs/ca-certificates.crt']);
  assert.equal(byKind(full, 'tzdata')?.satisfied, true);
  // System libraries' own strings (libc names /etc/passwd) are not the app's hints.
  assert.ok(full.hints.every((h) => h.evidence.path.startsWith('/app/')));
});

test('an app directory on its own reports what it does not bundle; over a base image, only its own files', { skip: skipUnless(glibcHost, 'needs an x86-64 glibc host') }, async () => {
  const bin = cxxProgram();
  if (!bin) return;
  const dir = bin.slice(0, bin.lastIndexOf('/'));
  const alone = await needsOfDir(dir, dir);
  assert.deepEqual(unresolvedNames(alone), ['libc.so.6', 'libgcc_s.so.1', 'libstdc++.so.6']);
  const over = await needsOfDir(dir, dir, { at: '/app', base: await makeImage([hostLibs(CC)]) });
  assert.deepEqual(over.files.map((f) => [f.path, f.ok]), [['/app/hello', true]]);
});
