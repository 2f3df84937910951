/**
 * ThreadDigestStream: the worker-thread twin of DigestStream used for large registry downloads.
 * It must pass bytes through unchanged and in order, fail exactly where DigestStream fails, leave
 * chunks that share memory with others intact, and never keep a finished process alive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OWNED_CHUNKS, ThreadDigestStream } from '../../src/oci/digest-thread.ts';
import { openVerified, THREAD_HASH_MIN } from '../../src/oci/layer.ts';
import { DigestStream, type Digest } from '../../src/oci/digest.ts';
import { DistillError } from '../../src/util/errors.ts';
import { ROOT } from '../helpers/cli.ts';

const digestOf = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** `data` as a stream of fresh, exclusively owned chunks of irregular sizes. */
function ownedChunks(data: Buffer): Readable {
  let off = 0;
  let i = 0;
  return new Readable({
    read() {
      if (off >= data.length) return void this.push(null);
      const n = [65536, 1000, 200_000, 7][i++ % 4]!;
      this.push(Buffer.from(data.subarray(off, off + n))); // a copy: its own ArrayBuffer
      off += n;
    },
  });
}

async function collect(s: Readable, t: NodeJS.ReadWriteStream & Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(s, t, new Writable({ write: (c: Buffer, _e, cb) => (parts.push(Buffer.from(c)), cb()) }));
  return Buffer.concat(parts);
}

test('passes every byte through in order and ends cleanly when digest and size match', async () => {
  const data = randomBytes(9 * 1024 * 1024 + 123);
  const t = new ThreadDigestStream({ digest: digestOf(data), size: data.length, what: 'layer x' });
  const out = await collect(ownedChunks(data), t);
  assert.equal(out.length, data.length);
  assert.ok(out.equals(data));
  assert.equal(t.bytes, data.length);
});

test('network-sized chunks travel to the worker in batches of at least 1 MiB', async () => {
  // Each batch is two wake-ups across threads; 64 KiB at a time would be 16 times as many.
  const data = randomBytes(8 * 1024 * 1024 + 5);
  let off = 0;
  const src = new Readable({
    read() {
      if (off >= data.length) return void this.push(null);
      this.push(Buffer.from(data.subarray(off, off + 65536)));
      off += 65536;
    },
  });
  const t = new ThreadDigestStream({ digest: digestOf(data), size: data.length, what: 'layer x' });
  const out = await collect(src, t);
  assert.ok(out.equals(data));
  // Eight full batches and the remainder with the end.
  assert.ok(t.batches <= 9, `${t.batches} batches`);
});

test('fails like DigestStream: wrong digest, too many bytes, too few bytes', async () => {
  const data = randomBytes(5 * 1024 * 1024);
  const wrong = digestOf(Buffer.from('something else'));
  for (const [expected, message] of [
    [{ digest: wrong, size: data.length }, /digest mismatch: content is sha256:[a-f0-9]{64}$/],
    [{ digest: digestOf(data), size: data.length - 1 }, /blob is larger than its declared size/],
    [{ digest: digestOf(data), size: data.length + 1 }, /blob size \d+ does not match declared size/],
  ] as const) {
    const plain = new DigestStream({ ...expected, what: 'layer x' });
    const threaded = new ThreadDigestStream({ ...expected, what: 'layer x' });
    for (const t of [plain, threaded]) {
      await assert.rejects(collect(ownedChunks(data), t), (e: unknown) => {
        assert.ok(e instanceof DistillError);
        assert.equal(e.input, 'layer x');
        assert.match(e.message, message);
        return true;
      });
    }
  }
});

test('chunks that share their memory with other views are copied, not taken', async () => {
  const backing = randomBytes(2 * 1024 * 1024);
  // Four views into one ArrayBuffer: transferring it would empty the caller's `backing`.
  const views = [0, 1, 2, 3].map((i) => backing.subarray(i * 512 * 1024, (i + 1) * 512 * 1024));
  const t = new ThreadDigestStream({ digest: digestOf(backing), size: backing.length, what: 'b' });
  const out = await collect(Readable.from(views), t);
  assert.ok(out.equals(backing));
  assert.equal(backing.length, 2 * 1024 * 1024, 'the caller still has its bytes');
  assert.equal(views[3]!.length, 512 * 1024);
});

test('a stream given up half-way does not disturb the next one', async () => {
  const data = randomBytes(8 * 1024 * 1024);
  const t = new ThreadDigestStream({ digest: digestOf(data), size: data.length, what: 'b' });
  const src = ownedChunks(data);
  src.pipe(t);
  await new Promise<void>((resolve) => t.once('data', () => resolve()));
  t.destroy();
  src.destroy();
  const again = new ThreadDigestStream({ digest: digestOf(data), size: data.length, what: 'b' });
  assert.ok((await collect(ownedChunks(data), again)).equals(data));
});

test('openVerified hashes on the worker only for large blobs from sources that own their chunks', async () => {
  const big = randomBytes(THREAD_HASH_MIN);
  const desc = { mediaType: 'application/octet-stream', digest: digestOf(big), size: big.length };
  const owned = async () => Object.assign(ownedChunks(big), { [OWNED_CHUNKS]: true });
  const v = await openVerified(desc, owned);
  assert.ok(v instanceof ThreadDigestStream);
  const parts: Buffer[] = [];
  for await (const c of v) parts.push(c as Buffer);
  assert.ok(Buffer.concat(parts).equals(big));
  assert.ok(!((await openVerified(desc, async () => ownedChunks(big))) instanceof ThreadDigestStream), 'a source that does not say it owns its chunks');
  const small = randomBytes(1000);
  const smallDesc = { ...desc, digest: digestOf(small), size: small.length };
  assert.ok(!((await openVerified(smallDesc, async () => Object.assign(ownedChunks(small), { [OWNED_CHUNKS]: true }))) instanceof ThreadDigestStream));
});

test('the idle worker does not keep a finished process alive', () => {
  // A child that verifies one blob and then simply runs out of work must exit by itself.
  const script = `
    import { ThreadDigestStream } from ${JSON.stringify(join(ROOT, 'src/oci/digest-thread.ts'))};
    import { createHash } from 'node:crypto';
    const data = Buffer.alloc(6 * 1024 * 1024, 7);
    const t = new ThreadDigestStream({ digest: 'sha256:' + createHash('sha256').update(data).digest('hex'), size: data.length, what: 'b' });
    t.resume();
    t.on('end', () => console.log('verified'));
    t.end(data);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'verified');
});
