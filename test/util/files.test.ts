/**
 * pipeToFile: a failed write settles only once its file is closed, so the caller's cleanup right
 * after the rejection removes the file for good (no late open recreates it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeToFile } from '../../src/util/files.ts';
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
