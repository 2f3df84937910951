import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { sha256 } from '../../src/oci/digest.ts';
import { readTar, type TarEntry } from '../../src/layers/tar.ts';
import { asLayer, comparePaths, layerFromDir, writeLayer, type LayerEntry } from '../../src/layers/writer.ts';
import { walkImage } from '../../src/layers/filesystem.ts';
import { appendLayers, emptyImage } from '../../src/mutate/mutate.ts';
import { tempDir } from '../helpers/images.ts';

async function headers(path: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  await readTar(Readable.from([gunzipSync(await readFile(path))]), { what: path }, (e) => void out.push(e));
  return out;
}

const entries = (): LayerEntry[] => [
  { path: 'usr/bin/app', type: 'file', mode: 0o755, content: Buffer.from('#!app'), uid: 65532, gid: 65532 },
  { path: 'usr', type: 'dir', mode: 0o755 },
  { path: 'usr/bin', type: 'dir', mode: 0o755 },
  { path: 'etc/app.conf', type: 'file', mode: 0o644, content: () => Readable.from([Buffer.from('a=1\n')]), size: 4 },
  { path: 'etc', type: 'dir', mode: 0o755 },
  { path: 'bin', type: 'symlink', mode: 0o777, linkname: 'usr/bin' },
  { path: 'usr/bin/app2', type: 'hardlink', mode: 0o755, linkname: 'usr/bin/app' },
  { path: `deep/${'n'.repeat(120)}/file`, type: 'file', mode: 0o600, content: Buffer.from('long') },
];

test('same inputs give byte-identical layers, sorted, with fixed mtime and numeric owners', async () => {
  const dir = tempDir();
  const a = await writeLayer(entries(), { dir, mtime: 1700000000 });
  const b = await writeLayer(entries().reverse(), { dir, mtime: 1700000000 });
  const bytesA = await readFile(a.path);
  assert.deepEqual(bytesA, await readFile(b.path));
  assert.equal(a.digest, sha256(bytesA));
  assert.equal(a.diffId, sha256(gunzipSync(bytesA)));
  assert.equal(a.size, bytesA.length);
  assert.equal(a.digest, b.digest);
  const hs = await headers(a.path);
  assert.deepEqual(hs.map((h) => h.path), ['bin', `deep/${'n'.repeat(120)}/file`, 'etc', 'etc/app.conf', 'usr', 'usr/bin', 'usr/bin/app', 'usr/bin/app2']);
  for (const h of hs) {
    assert.equal(h.mtime, 1700000000);
    assert.equal(h.uname, '');
    assert.equal(h.gname, '');
  }
  assert.equal(hs.find((h) => h.path === 'usr/bin/app')!.uid, 65532);
  assert.equal(hs.find((h) => h.path === 'usr/bin/app2')!.type, 'hardlink');
  const c = await writeLayer(entries(), { dir, mtime: 1 });
  assert.notEqual(c.digest, a.digest, 'the mtime is part of the bytes');
});

test('SOURCE_DATE_EPOCH sets the mtime; the written layer reads back as a verified Layer', async () => {
  const old = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = '1234567';
  try {
    const w = await writeLayer([{ path: 'x', type: 'file', mode: 0o644, content: Buffer.from('y') }], { dir: tempDir() });
    assert.equal((await headers(w.path))[0]!.mtime, 1234567);
    const fs = await walkImage(appendLayers(emptyImage(), { layer: asLayer(w) }));
    assert.equal(fs.entries.get('x')!.size, 1);
  } finally {
    if (old === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = old;
  }
});

test('comparePaths puts parents before children', () => {
  assert.deepEqual(['a/b', 'a-b', 'a', 'a/b/c', 'B'].sort(comparePaths), ['B', 'a', 'a/b', 'a/b/c', 'a-b']);
});

test('a layer from a host directory: sorted walk, fixed owner, prefix, twice the same bytes', async () => {
  const src = tempDir();
  mkdirSync(join(src, 'lib'));
  writeFileSync(join(src, 'lib', 'm.js'), 'module');
  writeFileSync(join(src, 'index.js'), 'main');
  chmodSync(join(src, 'index.js'), 0o755);
  symlinkSync('lib/m.js', join(src, 'link'));
  const out = tempDir();
  const a = await layerFromDir(src, { dir: out, uid: 65532, gid: 65532, prefix: '/app', mtime: 0 });
  const b = await layerFromDir(src, { dir: out, uid: 65532, gid: 65532, prefix: '/app', mtime: 0 });
  assert.equal(a.digest, b.digest);
  const hs = await headers(a.path);
  assert.deepEqual(hs.map((h) => h.path), ['app', 'app/index.js', 'app/lib', 'app/lib/m.js', 'app/link']);
  assert.ok(hs.every((h) => h.uid === 65532 && h.gid === 65532));
  assert.equal(hs[1]!.mode, 0o755);
  assert.equal(hs[4]!.linkname, 'lib/m.js');
});
