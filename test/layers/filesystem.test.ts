import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { extractImage } from '../../src/layers/extract.ts';
import { tempDir } from '../helpers/images.ts';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { walkImage } from '../../src/layers/filesystem.ts';
import { parseWhiteout } from '../../src/layers/whiteout.ts';
import { efficiency, largestFiles } from '../../src/analyze/efficiency.ts';
import { DistillError } from '../../src/util/errors.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { dir, file, gzLayer, hardlink, memImage, rawTar, symlink } from './helpers.ts';

const kb = (n: number) => Buffer.alloc(n * 1024, 1);

test('parseWhiteout recognises removals and opaque directories', () => {
  assert.deepEqual(parseWhiteout('etc/.wh.passwd'), { kind: 'remove', target: 'etc/passwd' });
  assert.deepEqual(parseWhiteout('.wh.tmp'), { kind: 'remove', target: 'tmp' });
  assert.deepEqual(parseWhiteout('var/cache/.wh..wh..opq'), { kind: 'opaque', dir: 'var/cache' });
  assert.equal(parseWhiteout('etc/passwd'), undefined);
  // `.wh.` names no file: an invalid whiteout (an error to every reader), never an ordinary entry.
  assert.deepEqual(parseWhiteout('etc/.wh.'), { kind: 'invalid', path: 'etc/.wh.' });
  assert.deepEqual(parseWhiteout('etc/.wh..'), { kind: 'invalid', path: 'etc/.wh..' });
});

test('merged view applies overwrites, whiteouts and opaque dirs, and counts per layer', async () => {
  const l0 = rawTar([
    dir('etc'), file('etc/passwd', 'root'), file('etc/big', kb(10)),
    dir('var/cache'), file('var/cache/a', kb(3)), dir('var/cache/sub'), file('var/cache/sub/b', kb(2)),
    file('tmp/x', kb(1)), file('keep', kb(4)),
  ]);
  const l1 = rawTar([
    file('etc/passwd', 'root+nonroot'),
    file('etc/.wh.big'),
    file('var/cache/.wh..wh..opq'), file('var/cache/new', 'n'),
    file('.wh.tmp'),
    file('fresh', kb(5)),
  ]);
  const img = memImage([gzLayer(l0), gzLayer(l1)]);
  const fs = await walkImage(img);
  const paths = [...fs.entries.keys()].sort();
  assert.deepEqual(paths, ['etc', 'etc/passwd', 'fresh', 'keep', 'var', 'var/cache', 'var/cache/new']);
  assert.equal(fs.entries.get('etc/passwd')!.layerIndex, 1);
  assert.equal(fs.entries.get('etc/passwd')!.size, 'root+nonroot'.length);
  assert.equal(fs.entries.get('keep')!.layerIndex, 0);
  const [s0, s1] = fs.layers;
  assert.equal(s0!.added, 6);
  assert.equal(s0!.tarBytes, l0.length, 'tar bytes are the uncompressed stream length');
  assert.equal(s1!.added, 2, 'var/cache/new and fresh');
  assert.equal(s1!.modified, 1, 'etc/passwd');
  assert.equal(s1!.removed, 4, 'etc/big, var/cache/a, var/cache/sub/b, tmp/x');
  // Waste: every lower version lost: passwd(4) + big + a + b + x.
  const wasted = 4 + 10 * 1024 + 3 * 1024 + 2 * 1024 + 1024;
  assert.equal(fs.wastedBytes, wasted);
  assert.equal(s1!.wastedBytes, wasted);
  const e = efficiency(fs);
  assert.equal(e.totalFileBytes, s0!.fileBytes + s1!.fileBytes);
  assert.equal(e.score, 1 - wasted / e.totalFileBytes);
  assert.equal(e.wasted[0]!.path, 'etc/big');
  assert.deepEqual(largestFiles(fs, 2).map((f) => f.path), ['fresh', 'keep']);
});

test('the kept copy is not waste: a file only ever written once gives efficiency 1', async () => {
  const fs = await walkImage(memImage([gzLayer(rawTar([file('a', kb(8)), file('b', kb(1))])), gzLayer(rawTar([file('c', kb(2))]))]));
  assert.equal(fs.wastedBytes, 0);
  assert.equal(efficiency(fs).score, 1);
});

test('whiteouts do not hide entries of their own layer', async () => {
  const fs = await walkImage(memImage([gzLayer(rawTar([file('d/old', 'o')])), gzLayer(rawTar([file('d/new', 'n'), file('d/.wh..wh..opq'), file('x', '1'), file('.wh.x')]))]));
  assert.deepEqual([...fs.entries.keys()].sort(), ['d', 'd/new', 'x']);
});

test('a file replacing a directory hides its subtree; hard links must point into the image', async () => {
  const fs = await walkImage(memImage([
    gzLayer(rawTar([file('d/a', kb(1)), file('t', 'target')])),
    gzLayer(rawTar([file('d', 'now a file'), hardlink('h', 't')])),
  ]));
  assert.deepEqual([...fs.entries.keys()].sort(), ['d', 'h', 't']);
  assert.equal(fs.entries.get('h')!.type, 'hardlink');
  assert.equal(fs.wastedBytes, 1024);
  await assert.rejects(
    walkImage(memImage([gzLayer(rawTar([hardlink('h', 'missing')]))])),
    (e: unknown) => e instanceof DistillError && /^layer sha256:/.test(e.input) && /not a file in the image/.test(e.message),
  );
});

test('.. in a name fails the walk naming the layer; a path through a symlink is a warning', async () => {
  const img = memImage([gzLayer(rawTar([file('a/../../etc/passwd', 'x')]))]);
  const digest = (await img.layers())[0]!.digest;
  await assert.rejects(walkImage(img), (e: unknown) => e instanceof DistillError && e.input === `layer ${digest}` && /'\.\.'/.test(e.message));
  const fs = await walkImage(memImage([gzLayer(rawTar([symlink('s', '/etc'), file('s/x', 'y')]))]));
  assert.equal(fs.warnings.length, 1);
  assert.match(fs.warnings[0]!, /through symlink s/);
});

test('content hook reads wanted files during the same pass, in layer order', async () => {
  const img = memImage([gzLayer(rawTar([file('etc/os-release', 'ID=one'), file('other', 'skip')])), gzLayer(rawTar([file('etc/os-release', 'ID=two')]))]);
  const got: string[] = [];
  const fs = await walkImage(img, {
    wantContent: (p) => p === 'etc/os-release',
    async onContent(p, layer, body: Readable) {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      got.push(`${layer}:${p}:${Buffer.concat(chunks)}`);
    },
  });
  assert.deepEqual(got, ['0:etc/os-release:ID=one', '1:etc/os-release:ID=two']);
  assert.equal(fs.entries.get('etc/os-release')!.layerIndex, 1);
});

test('a wrong diff_id fails the walk naming the layer', async () => {
  const l = gzLayer(rawTar([file('a', 'x')]));
  const img = memImage([{ ...l, diffId: `sha256:${'0'.repeat(64)}` }]);
  await assert.rejects(walkImage(img), (e: unknown) => e instanceof DistillError && /^layer sha256:/.test(e.input) && /diff_id|digest/.test(e.input + e.message));
});

test('an opaque marker after the layer\'s own children keeps them and hides only lower entries', async () => {
  const layers = [
    gzLayer(rawTar([file('d/sub/old', 'o'), file('d/gone', 'g')])),
    gzLayer(rawTar([file('d/sub/new', 'n'), file('d/.wh..wh..opq')])),
  ];
  const fs = await walkImage(memImage(layers));
  assert.deepEqual([...fs.entries.keys()].sort(), ['d', 'd/sub', 'd/sub/new']);
  const out = `${tempDir()}/rootfs`;
  await extractImage(memImage(layers), out);
  assert.deepEqual(readdirSync(`${out}/d`), ['sub']);
  assert.deepEqual(readdirSync(`${out}/d/sub`), ['new']);
});

test('an uncompressed tar layer is read as well as a gzip one', async () => {
  const tar = rawTar([file('plain', 'text')]);
  const fs = await walkImage(memImage([{ blob: tar, diffId: sha256(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar' }]));
  assert.equal(fs.entries.get('plain')!.size, 4);
  assert.equal(fs.layers[0]!.tarBytes, tar.length);
});
