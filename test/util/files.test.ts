/**
 * pipeToFile: a failed write settles only once its file is closed, so the caller's cleanup right
 * after the rejection removes the file for good (no late open recreates it). writeFileAtomic(Sync):
 * readers see the old file or the new one, and no temp file outlives a write, failed or not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeToFile, tempBeside, writeFileAtomic, writeFileAtomicSync } from '../../src/util/files.ts';
import { tempDir } from '../helpers/images.ts';

test('a source that fails at once: removing the file right after the rejection removes it for good', async () => {
  const dir = tempDir();
  let left = 0;
  for (let i = 0; i < 60; i++) {
    const p = join(dir, `f${i}.part`);
    const src = new Readable({ read() { this.destroy(new Error('connection reset')); } });
    await assert.rejects(pipeToFile(p, src), /connection reset/);
    rmSync(p, { force: true });
    await new Promise((r) => setTimeout(r, 5));
    if (existsSync(p)) left++;
  }
  assert.equal(left, 0, 'files reappeared after their removal');
});

test('a source that succeeds: the file holds every byte once the promise resolves', async () => {
  const p = join(tempDir(), 'ok');
  const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(64 * 1024, i));
  await pipeToFile(p, Readable.from(chunks), { highWaterMark: 1 << 20 });
  assert.deepEqual(readFileSync(p), Buffer.concat(chunks));
});

test('tempBeside: a fresh hidden name in the target\'s own directory, so the rename stays on one filesystem', () => {
  const target = join(tempDir(), 'sub', 'report.html');
  const names = new Set(Array.from({ length: 100 }, () => tempBeside(target)));
  assert.equal(names.size, 100);
  for (const n of names) {
    assert.equal(dirname(n), dirname(target));
    assert.match(n.slice(dirname(n).length + 1), /^\.report\.html\.\d+-[0-9a-f]{8}\.tmp$/);
  }
});

for (const [name, write] of [
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', async (p: string, d: string | Uint8Array, o?: { mode?: number; fsync?: boolean }) => writeFileAtomicSync(p, d, o)],
] as const) {
  test(`${name}: replaces the file whole, leaves no temp file, honours mode`, async () => {
    const dir = tempDir();
    const p = join(dir, 'distill.lock.json');
    writeFileSync(p, 'old');
    await write(p, '{"new":true}\n', { fsync: true });
    assert.equal(readFileSync(p, 'utf8'), '{"new":true}\n');
    await write(join(dir, 'key'), Buffer.from([1, 2, 3]), { mode: 0o600 });
    assert.deepEqual(readFileSync(join(dir, 'key')), Buffer.from([1, 2, 3]));
    assert.equal(statSync(join(dir, 'key')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).sort(), ['distill.lock.json', 'key']);
  });

  test(`${name}: a failed rename (the target is a directory) throws and removes the temp file`, async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'out', 'x'), { recursive: true });
    await assert.rejects(Promise.resolve().then(() => write(join(dir, 'out'), 'data')), /EISDIR|ENOTEMPTY|EEXIST|directory/i);
    assert.deepEqual(readdirSync(dir), ['out']);
    // A missing directory fails at the temp file, naming no stray file either.
    await assert.rejects(Promise.resolve().then(() => write(join(dir, 'nope', 'f'), 'data')), /ENOENT/);
  });
}

test('writeFileAtomic: concurrent writers and a reader racing them; every read is one writer\'s whole file', async () => {
  const dir = tempDir();
  const p = join(dir, 'meta.json');
  const contents = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024, 0x61 + i));
  await writeFileAtomic(p, contents[0]!);
  let reading = true;
  const seen = new Set<number>();
  const reader = (async () => {
    while (reading) {
      const b = await readFile(p);
      assert.equal(b.length, 256 * 1024, 'a read saw a partial file');
      assert.ok(b.every((x) => x === b[0]), 'a read saw two writers mixed');
      seen.add(b[0]!);
    }
  })();
  for (let round = 0; round < 5; round++) await Promise.all(contents.map((c) => writeFileAtomic(p, c)));
  reading = false;
  await reader;
  assert.ok(seen.size >= 1);
  assert.deepEqual(readdirSync(dir), ['meta.json']);
});
