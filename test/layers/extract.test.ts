import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractImage } from '../../src/layers/extract.ts';
import { DistillError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/images.ts';
import { dir, file, gzLayer, hardlink, memImage, rawTar, symlink } from './helpers.ts';

test('export applies layers in order: overwrites, whiteouts, opaque dirs, links, modes', async () => {
  const img = memImage([
    gzLayer(rawTar([
      dir('etc'), file('etc/passwd', 'root'), file('etc/old', 'gone'),
      dir('var/cache', 0o755), file('var/cache/a', 'a'), file('usr/bin/tool', '#!', 0o4755),
      dir('ro', 0o555), file('ro/inside', 'r'),
    ])),
    gzLayer(rawTar([
      file('etc/passwd', 'root\nnonroot'), file('etc/.wh.old'),
      file('var/cache/.wh..wh..opq'), file('var/cache/b', 'b'),
      hardlink('usr/bin/tool2', 'usr/bin/tool'), symlink('bin', 'usr/bin'),
    ])),
  ]);
  const out = join(tempDir(), 'rootfs');
  const r = await extractImage(img, out);
  assert.equal(readFileSync(join(out, 'etc/passwd'), 'utf8'), 'root\nnonroot');
  assert.equal(existsSync(join(out, 'etc/old')), false);
  assert.deepEqual(readdirSync(join(out, 'var/cache')), ['b']);
  assert.equal(readlinkSync(join(out, 'bin')), 'usr/bin');
  assert.equal(statSync(join(out, 'usr/bin/tool2')).ino, statSync(join(out, 'usr/bin/tool')).ino);
  assert.equal(statSync(join(out, 'usr/bin/tool')).mode & 0o7777, 0o755, 'setuid dropped by default');
  assert.equal(statSync(join(out, 'ro')).mode & 0o777, 0o555, 'directory modes applied after their children');
  assert.equal(r.hardlinks, 1);
  assert.equal(r.symlinks, 1);
});

test('setuid bits are kept when asked', async () => {
  const out = join(tempDir(), 'rootfs');
  await extractImage(memImage([gzLayer(rawTar([file('su', 'x', 0o4755)]))]), out, { keepSpecialBits: true });
  assert.equal(statSync(join(out, 'su')).mode & 0o7777, 0o4755);
});

test('an existing empty directory is used; a non-empty one is refused untouched', async () => {
  const base = tempDir();
  const empty = join(base, 'empty');
  mkdirSync(empty);
  await extractImage(memImage([gzLayer(rawTar([file('a', '1')]))]), empty);
  assert.equal(readFileSync(join(empty, 'a'), 'utf8'), '1');
  const full = join(base, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'mine'), 'keep');
  await assert.rejects(extractImage(memImage([gzLayer(rawTar([file('a', '1')]))]), full), (e: unknown) => e instanceof DistillError && e.input === full);
  assert.deepEqual(readdirSync(full), ['mine']);
});

test('a layer replacing a symlink with a directory does not write through the old link', async () => {
  const base = tempDir();
  const victim = join(base, 'victim');
  mkdirSync(victim);
  const out = join(base, 'rootfs');
  await extractImage(memImage([gzLayer(rawTar([symlink('d', victim)])), gzLayer(rawTar([dir('d'), file('d/f', 'inside')]))]), out);
  assert.equal(lstatSync(join(out, 'd')).isDirectory(), true);
  assert.equal(readFileSync(join(out, 'd/f'), 'utf8'), 'inside');
  assert.deepEqual(readdirSync(victim), []);
});

/** Host paths under `root` that this process still has open. */
function openUnder(root: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((p) => p.startsWith(root));
}

test('a layer that ends inside a file body fails cleanly: no temp tree, no file left open', async () => {
  const big = Buffer.alloc(4 << 20, 7);
  const whole = rawTar([dir('d'), file('d/small', 'ok'), file('d/big', big)]);
  // Cut inside the big body (the write is under way when the tar fails) and right after its
  // header (the body fails before anything pipes it).
  const headerEnd = whole.indexOf(Buffer.from('d/big')) + 512;
  for (const cut of [headerEnd + (1 << 20), headerEnd]) {
    const base = tempDir();
    const out = join(base, 'rootfs');
    await assert.rejects(extractImage(memImage([gzLayer(whole.subarray(0, cut))]), out), (e: unknown) => e instanceof DistillError && e.input.startsWith('layer sha256:'));
    assert.deepEqual(readdirSync(base), [], `cut at ${cut}: nothing left behind`);
    assert.deepEqual(openUnder(base), [], `cut at ${cut}: the half-written file was closed`);
  }
});
