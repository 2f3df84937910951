import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readTar, normalizePath, type TarEntry } from '../../src/layers/tar.ts';
import { DistillError } from '../../src/util/errors.ts';
import { dir, file, gnuLong, hardlink, paxEntry, rawTar, symlink } from './helpers.ts';

async function entries(tar: Buffer, read?: (e: TarEntry, body: Readable) => Promise<void>): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  await readTar(Readable.from([tar]), { what: 'layer sha256:test' }, async (e, body) => {
    out.push(e);
    if (read) await read(e, body);
  });
  return out;
}

test('normalizePath strips ./ and /, collapses // and reports ..', () => {
  assert.deepEqual(normalizePath('./usr//bin/'), { path: 'usr/bin', dotDot: false });
  assert.deepEqual(normalizePath('/etc/passwd'), { path: 'etc/passwd', dotDot: false });
  assert.deepEqual(normalizePath('a/../../b'), { path: 'a/../../b', dotDot: true });
  assert.deepEqual(normalizePath('./'), { path: '', dotDot: false });
});

test('headers are normalised with types, owners, modes and link names', async () => {
  const tar = rawTar([
    dir('./etc/'),
    { name: './etc/shadow', content: 'x', mode: 0o4640, uid: 0, gid: 42 },
    symlink('bin', 'usr/bin'),
    hardlink('etc/shadow2', './etc/shadow'),
    { name: 'dev/null', flag: '3' },
    { name: 'dev/sda', flag: '4' },
    { name: 'run/fifo', flag: '6' },
  ]);
  const es = await entries(tar);
  assert.deepEqual(es.map((e) => [e.path, e.type]), [
    ['etc', 'directory'], ['etc/shadow', 'file'], ['bin', 'symlink'], ['etc/shadow2', 'hardlink'],
    ['dev/null', 'char'], ['dev/sda', 'block'], ['run/fifo', 'fifo'],
  ]);
  assert.equal(es[1]!.mode, 0o4640);
  assert.equal(es[1]!.gid, 42);
  assert.equal(es[1]!.size, 1);
  assert.equal(es[2]!.linkname, 'usr/bin');
  assert.equal(es[3]!.linkname, 'etc/shadow', 'hard link targets are normalised like paths');
});

test('PAX and GNU long names and link targets are resolved', async () => {
  const long = 'a/' + 'x'.repeat(150) + '/file.txt';
  const longLink = 'b/' + 'y'.repeat(140);
  const tar = rawTar([
    paxEntry({ path: long }), file('short-ignored', 'pax'),
    gnuLong('L', 'gnu/' + 'z'.repeat(120)), file('short2', 'gnu'),
    gnuLong('K', longLink), symlink('gnulink', 'ignored'),
    paxEntry({ linkpath: longLink }), symlink('paxlink', 'ignored'),
  ]);
  const es = await entries(tar);
  assert.deepEqual(es.map((e) => e.path), [long, 'gnu/' + 'z'.repeat(120), 'gnulink', 'paxlink']);
  assert.equal(es[2]!.linkname, longLink);
  assert.equal(es[3]!.linkname, longLink);
});

test('bodies are drained when the callback ignores them, and readable when it wants them', async () => {
  const big = Buffer.alloc(300_000, 7);
  const tar = rawTar([file('a', big), file('b', 'hello'), file('c', big)]);
  const seen: string[] = [];
  await entries(tar, async (e, body) => {
    if (e.path !== 'b') return;
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    seen.push(Buffer.concat(chunks).toString());
  });
  assert.deepEqual(seen, ['hello']);
});

test('a huge declared size is an error naming the layer, not an allocation', async () => {
  const tar = rawTar([{ name: 'huge', size: 2n ** 50n }], { end: false });
  await assert.rejects(entries(tar), (e: unknown) => e instanceof DistillError && e.input === 'layer sha256:test' && /implausible size/.test(e.message));
});

test('a truncated tar and non-tar garbage are errors naming the layer', async () => {
  const tar = rawTar([file('a', Buffer.alloc(5000, 1))]);
  await assert.rejects(entries(tar.subarray(0, 2048)), (e: unknown) => e instanceof DistillError && e.input === 'layer sha256:test');
  const garbage = Buffer.alloc(4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 251;
  await assert.rejects(entries(garbage), (e: unknown) => e instanceof DistillError && e.input === 'layer sha256:test');
});

test('a callback error stops the read and is reported naming the layer', async () => {
  const tar = rawTar([file('a', 'x'), file('b', 'y')]);
  await assert.rejects(
    entries(tar, async () => { throw new Error('boom'); }),
    (e: unknown) => e instanceof DistillError && e.input === 'layer sha256:test' && e.message === 'boom',
  );
});
