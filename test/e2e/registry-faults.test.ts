/**
 * Faults between distill and a real registry, injected by a loopback proxy: connections dropped
 * mid-blob (download and upload), 500s, 429 with Retry-After, and a blob with a flipped byte.
 * Pushes and pulls succeed after retries (downloads resume with Range) or fail on one clear line,
 * and no corrupt blob ever lands in the destination layout.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeImage, tempDir, fileDigest } from '../helpers/images.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { startFaultProxy, blobGet, blobUpload, type Fault, type FaultProxy } from '../helpers/faultproxy.ts';
import { run } from '../helpers/podman.ts';
import { pushRegistry } from '../../src/oci/transports/registry.ts';
import { copyImage } from '../../src/oci/transports/registry-copy.ts';
import { THREAD_HASH_MIN } from '../../src/oci/layer.ts';
import { DistillError } from '../../src/util/errors.ts';
import type { Image } from '../../src/oci/image.ts';

let reg: TestRegistry;
let img: Image;
const fast = { backoffMs: 10 };

before(async () => {
  reg = await startRegistry();
  // 6 MiB of random data: above THREAD_HASH_MIN, so pulls verify it on the hash worker.
  img = await makeImage([[{ name: 'etc/hostname', content: 'faults\n' }], [{ name: 'data.bin', content: randomBytes(6 * 1024 * 1024) }]]);
  await pushRegistry(img, `${reg.host}/faults/app:1`);
});
after(async () => {
  await reg.stop();
});

async function withProxy<T>(faults: Fault[], fn: (p: FaultProxy) => Promise<T>): Promise<T> {
  const p = await startFaultProxy(reg.host, faults);
  try {
    return await fn(p);
  } finally {
    await p.stop();
  }
}

/** Blob names of a layout, each re-hashed: a corrupt file fails the test. */
async function intactBlobs(dir: string): Promise<string[]> {
  const root = join(dir, 'blobs', 'sha256');
  if (!existsSync(root)) return [];
  const names = readdirSync(root);
  for (const n of names) {
    assert.match(n, /^[a-f0-9]{64}$/, `stray (temp?) file left in blobs: ${n}`);
    assert.equal(await fileDigest(join(root, n)), `sha256:${n}`, `blob ${n} is corrupt`);
  }
  return names;
}

const bigLayer = (p: { method: string; path: string }) => blobGet(p);

test('a connection dropped mid-blob is resumed with Range and the pull completes', async () => {
  await withProxy([{ mode: 'drop-mid-blob', match: bigLayer }], async (p) => {
    const dir = join(tempDir(), 'layout');
    const res = await copyImage(`docker://${p.host}/faults/app:1`, `oci:${dir}:1`, fast);
    assert.equal(res.digest, await img.digest());
    const dropped = p.log.find((r) => r.fault === 'drop-mid-blob');
    assert.ok(dropped, 'the proxy dropped one download');
    const resumed = p.log.find((r) => r.range && r.path === dropped.path);
    assert.ok(resumed, 'a Range request followed');
    assert.match(resumed.range!, /^bytes=[1-9]\d*-$/);
    assert.equal(resumed.status, 206);
    assert.equal((await intactBlobs(dir)).length, 4);
  });
});

test('500 answers and a 429 with Retry-After are retried; the pull completes after the wait', async () => {
  const faults: Fault[] = [
    { mode: 'status-429', retryAfter: '1', match: (r) => r.path.includes('/manifests/') },
    { mode: 'status-500', times: 2, match: bigLayer },
  ];
  await withProxy(faults, async (p) => {
    const dir = join(tempDir(), 'layout');
    const t0 = Date.now();
    const res = await copyImage(`docker://${p.host}/faults/app:1`, `oci:${dir}:1`, fast);
    assert.ok(Date.now() - t0 >= 900, 'Retry-After: 1 was honoured');
    assert.equal(res.digest, await img.digest());
    assert.equal(p.log.filter((r) => r.status === 429).length, 1);
    assert.equal(p.log.filter((r) => r.status === 500).length, 2);
    assert.equal((await intactBlobs(dir)).length, 4);
  });
});

test('a blob with a flipped byte fails the pull on one line and never lands in the layout', async () => {
  await withProxy([{ mode: 'corrupt-blob', match: bigLayer, times: 100 }], async (p) => {
    const dir = join(tempDir(), 'layout');
    const err = await copyImage(`docker://${p.host}/faults/app:1`, `oci:${dir}:1`, fast).then(
      () => assert.fail('the pull should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DistillError);
    assert.match(err.oneLine(), /^distill: .*digest mismatch: content is sha256:[a-f0-9]{64}$/);
    const corrupted = p.log.filter((r) => r.fault === 'corrupt-blob').map((r) => r.path.slice(r.path.lastIndexOf('sha256:') + 7));
    assert.ok(corrupted.length >= 1);
    const names = await intactBlobs(dir);
    for (const c of corrupted) assert.ok(!names.includes(c), 'the corrupt blob is not in the layout');
  });
});

test('a flipped byte in the large layer alone (verified on the hash worker) fails the pull on one line', async () => {
  const layer = (await img.layers())[1]!;
  assert.ok(layer.size >= THREAD_HASH_MIN, 'the layer is large enough for the worker path');
  await withProxy([{ mode: 'corrupt-blob', match: (r) => blobGet(r) && r.path.endsWith(layer.digest), times: 100 }], async (p) => {
    const dir = join(tempDir(), 'layout');
    const err = await copyImage(`docker://${p.host}/faults/app:1`, `oci:${dir}:1`, fast).then(
      () => assert.fail('the pull should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DistillError);
    assert.match(err.oneLine(), new RegExp(`layer ${layer.digest}: digest mismatch: content is sha256:[a-f0-9]{64}$`));
    assert.equal(p.log.filter((r) => r.fault === 'corrupt-blob').length, 1, 'a digest mismatch is not retried');
    assert.ok(!(await intactBlobs(dir)).includes(layer.digest.slice(7)));
  });
});

test('the CLI reports a corrupt blob with exit 2 and the reference', async () => {
  const { runDistill } = await import('../helpers/cli.ts');
  await withProxy([{ mode: 'corrupt-blob', match: bigLayer, times: 100 }], async (p) => {
    const dir = join(tempDir(), 'layout');
    const r = await runDistill(['pull', `${p.host}/faults/app:1`, `oci:${dir}:1`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^distill: 127\.0\.0\.1:\d+\/faults\/app:1[ :].*digest mismatch: content is sha256:/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    await intactBlobs(dir);
  });
});

test('push survives a dropped upload, a 500 on the upload start and a 429 on the manifest', async () => {
  const fresh = await makeImage([[{ name: 'x.bin', content: randomBytes(1024 * 1024) }]]);
  const faults: Fault[] = [
    { mode: 'status-500', match: (r) => r.method === 'POST' && r.path.includes('/blobs/uploads/') },
    { mode: 'drop-mid-upload', match: blobUpload },
    { mode: 'status-429', retryAfter: new Date(Date.now() + 1000).toUTCString(), match: (r) => r.method === 'PUT' && r.path.includes('/manifests/') },
  ];
  await withProxy(faults, async (p) => {
    const res = await pushRegistry(fresh, `${p.host}/faults/pushed:1`, fast);
    assert.equal(res.digest, await fresh.digest());
    assert.equal(p.log.filter((r) => r.fault).length, 3, JSON.stringify(p.log));
  });
  // skopeo verifies every blob it copies: the registry holds the intact image.
  const dir = tempDir();
  const c = await run('skopeo', ['copy', '--src-tls-verify=false', '--preserve-digests', `docker://${reg.host}/faults/pushed:1`, `oci:${join(dir, 'l')}:1`]);
  assert.equal(c.code, 0, c.stderr);
  await intactBlobs(join(dir, 'l'));
});

test('a destination that cannot hold a layout fails the pull on one line naming it', async () => {
  const { writeFileSync } = await import('node:fs');
  const file = join(tempDir(), 'a-file');
  writeFileSync(file, 'not a directory');
  const dest = `oci:${join(file, 'layout')}:1`;
  const err = await copyImage(`docker://${reg.host}/faults/app:1`, dest, fast).then(
    () => assert.fail('the pull should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DistillError);
  assert.match(err.oneLine(), new RegExp(`^distill: ${dest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOTDIR`));
});

test('a registry that keeps failing: bounded attempts, HTTP status and code in the message', async () => {
  await withProxy([{ mode: 'status-500', times: 1000 }], async (p) => {
    const err = await copyImage(`docker://${p.host}/faults/app:1`, `oci:${join(tempDir(), 'l')}`, { backoffMs: 5, retries: 2 }).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DistillError);
    assert.match(err.oneLine(), /HTTP 500.*UNKNOWN: injected by the fault proxy.*gave up after 3 attempts/);
    assert.equal(p.log.filter((r) => r.path.includes('/manifests/')).length, 3);
  });
});

test('a local blob that does not match its digest fails the push at once, without retries', async () => {
  const good = await makeImage([[{ name: 'y.bin', content: randomBytes(300_000) }]]);
  const [layer] = await good.layers();
  const file = join(tempDir(), 'layer.tar.gz');
  const { writeFileSync } = await import('node:fs');
  const { readSmall, fileLayer } = await import('../../src/oci/layer.ts');
  const bytes = await readSmall(await layer!.compressed(), 1 << 24, 'layer');
  bytes[1000]! ^= 0xff; // the file on disk rots after the image was described
  writeFileSync(file, bytes);
  const { appendLayers, emptyImage } = await import('../../src/mutate/mutate.ts');
  const bad = appendLayers(emptyImage(), { layer: fileLayer(file, { digest: layer!.digest, diffId: layer!.diffId, size: layer!.size }) });
  await withProxy([], async (p) => {
    const err = await pushRegistry(bad, `${p.host}/faults/rotten:1`, fast).then(() => assert.fail('pushed a corrupt blob'), (e: unknown) => e);
    assert.ok(err instanceof DistillError);
    assert.match(err.oneLine(), /digest mismatch/);
    const enc = encodeURIComponent(layer!.digest);
    assert.ok(p.log.filter((r) => r.method === 'PUT' && r.path.includes(enc)).length <= 1, 'no retry of a blob that is bad at the source');
    assert.ok(p.log.filter((r) => r.method === 'POST').length <= 2, 'one upload session for the layer, one for the config');
    assert.equal(p.log.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/')).length, 0);
  });
});
