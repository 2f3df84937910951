/**
 * `distill needs` as users run it: on an image written to an OCI layout (text table and --json),
 * on an app directory, with --check's exit status, and a bad reference as a one-line error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { writeImage } from '../../src/oci/reference.ts';
import { makeImage, tempDir } from '../helpers/images.ts';
import { runDistill } from '../helpers/cli.ts';
import { cxxProgram, hostLib } from '../needs/programs.ts';

const ready = process.arch === 'x64' && hostLib('libc.so.6') && hostLib('libstdc++.so.6');

test('needs on an image: the table names the missing library, --json carries the same verdicts, --check exits 1', { skip: ready ? false : 'needs g++ on an x86-64 glibc host' }, async () => {
  const bin = cxxProgram();
  if (!bin) return;
  const libs = ['ld-linux-x86-64.so.2', 'libc.so.6', 'libm.so.6', 'libgcc_s.so.1'].map((n) => ({ name: `usr/lib/x86_64-linux-gnu/${n}`, content: readFileSync(realpathSync(hostLib(n)!)) }));
  const dir = tempDir('distill-needs-cli-');
  await writeImage(await makeImage([[{ name: 'lib64', type: 'symlink', linkname: '/usr/lib/x86_64-linux-gnu' }, ...libs], [{ name: 'app/hello', content: readFileSync(bin), mode: 0o755 }]]), `oci:${dir}:app`);
  const text = await runDistill(['needs', `oci:${dir}:app`]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\/app\/hello/);
  assert.match(text.stdout, /libstdc\+\+\.so\.6 MISSING/);
  assert.match(text.stdout, /libc\.so\.6 -> \/usr\/lib\/x86_64-linux-gnu\/libc\.so\.6/);
  const json = await runDistill(['needs', `oci:${dir}:app`, '--json']);
  const r = JSON.parse(json.stdout);
  assert.equal(r.schemaVersion, 1);
  const f = r.files.find((x: { path: string }) => x.path === '/app/hello');
  assert.deepEqual(f.needs.filter((n: { status: string }) => n.status !== 'resolved').map((n: { name: string }) => n.name), ['libstdc++.so.6']);
  const checked = await runDistill(['needs', `oci:${dir}:app`, '--check', '-q']);
  assert.equal(checked.code, 1);
  assert.match(checked.stdout, /1 with missing libraries/);
});

test('needs on an app directory lists its ELF files under --at; a bad reference is one line, exit 2', { skip: ready ? false : 'needs g++' }, async () => {
  const bin = cxxProgram();
  if (!bin) return;
  const dir = tempDir('distill-needs-dir-');
  copyFileSync(bin, join(dir, 'hello'));
  const r = JSON.parse((await runDistill(['needs', dir, '--json'])).stdout);
  assert.deepEqual(r.files.map((f: { path: string }) => f.path), ['/app/hello']);
  const bad = await runDistill(['needs', 'oci:/nonexistent/layout:x']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /^distill: /);
});
