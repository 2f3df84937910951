import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeImage, tempDir, fileDigest } from '../helpers/images.ts';
import { openImage, writeImage, parseRef } from '../../src/oci/reference.ts';
import { writeLayout } from '../../src/oci/transports/layout.ts';
import { DistillError } from '../../src/util/errors.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { setCreated } from '../../src/mutate/mutate.ts';

const files = [
  [
    { name: 'etc/', type: 'directory' as const },
    { name: 'etc/hostname', content: 'distill\n' },
    { name: 'bin/', type: 'directory' as const },
    { name: 'bin/app', content: '#!/bin/true\n', mode: 0o755 },
  ],
  [{ name: 'etc/hostname', content: 'changed\n' }, { name: 'etc/.wh.gone', content: '' }],
];

async function sample() {
  return setCreated(await makeImage(files, { user: '65532', entrypoint: ['/bin/app'], env: { A: '1' } }), new Date(0));
}

test('parseRef understands every transport and splits tags as skopeo does', () => {
  assert.deepEqual(parseRef('oci:/tmp/x:v1'), { transport: 'oci', path: '/tmp/x', tag: 'v1' });
  assert.deepEqual(parseRef('oci:/tmp/x'), { transport: 'oci', path: '/tmp/x' });
  assert.deepEqual(parseRef('docker-archive:/a.tar:foo/bar:baz'), { transport: 'docker-archive', path: '/a.tar', tag: 'foo/bar:baz' });
  assert.deepEqual(parseRef('podman:localhost/app:1'), { transport: 'podman', name: 'localhost/app:1' });
  assert.deepEqual(parseRef('docker://example/app:1'), { transport: 'registry', name: 'example/app:1' });
  assert.throws(() => parseRef('/not/a/ref'), DistillError);
});

for (const transport of ['oci', 'oci-archive', 'docker-archive'] as const) {
  test(`${transport}: write, read back, write again gives the same manifest digest and bytes`, async () => {
    const dir = tempDir();
    const img = await sample();
    const first = transport === 'oci' ? `oci:${join(dir, 'a')}:t` : `${transport}:${join(dir, 'a.tar')}:t`;
    const second = transport === 'oci' ? `oci:${join(dir, 'b')}:t` : `${transport}:${join(dir, 'b.tar')}:t`;
    await writeImage(img, first);
    const back = await openImage(first);
    await writeImage(back, second);
    const again = await openImage(second);
    assert.equal(await again.digest(), await back.digest());
    if (transport !== 'docker-archive') assert.equal(await back.digest(), await img.digest());
    const cfg = await again.config();
    assert.equal(cfg.config?.User, '65532');
    assert.deepEqual(cfg.config?.Entrypoint, ['/bin/app']);
    assert.equal((await again.layers()).length, 2);
    if (transport !== 'oci') assert.equal(await fileDigest(join(dir, 'a.tar')), await fileDigest(join(dir, 'b.tar')));
    // every layer reads back to its diff_id
    for (const l of await again.layers()) {
      const s = await l.uncompressed();
      for await (const _ of s) void _;
    }
  });
}

test('same inputs and SOURCE_DATE_EPOCH give byte-identical blobs and digests', async () => {
  const a = await sample();
  const b = await sample();
  assert.equal(await a.digest(), await b.digest());
  const da = tempDir();
  const db = tempDir();
  await writeLayout(a, da, 'x');
  await writeLayout(b, db, 'x');
  const blobs = readdirSync(join(da, 'blobs/sha256')).sort();
  assert.deepEqual(blobs, readdirSync(join(db, 'blobs/sha256')).sort());
  assert.equal(readFileSync(join(da, 'index.json'), 'utf8'), readFileSync(join(db, 'index.json'), 'utf8'));
});

test('a multi-platform index picks --platform and lists what exists when it is missing', async () => {
  const dir = tempDir();
  const img = await sample();
  const desc = await writeLayout(img, join(dir, 'l'));
  const armRaw = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
    { ...desc, platform: { os: 'linux', architecture: 'amd64' } },
    { ...desc, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ] });
  writeFileSync(join(dir, 'l', 'index.json'), armRaw);
  const amd = await openImage(`oci:${join(dir, 'l')}`, { platform: 'linux/amd64' });
  assert.equal(await amd.digest(), desc.digest);
  // The arm64 entry points at an amd64 image: the config, not the index's label, decides.
  await assert.rejects(openImage(`oci:${join(dir, 'l')}`, { platform: 'linux/arm64' }), /the image is for linux\/amd64, not the linux\/arm64 asked for/);
  await assert.rejects(openImage(`oci:${join(dir, 'l')}`, { platform: 'linux/s390x' }), (e: DistillError) => {
    assert.match(e.message, /no image for platform linux\/s390x; available: linux\/amd64, linux\/arm64\/v8/);
    return true;
  });
});

test('a missing blob and a corrupted blob are named in the error', async () => {
  const dir = tempDir();
  const img = await sample();
  await writeLayout(img, dir, 't');
  const layer = (await img.layers())[1]!;
  const p = join(dir, 'blobs/sha256', layer.digest.slice(7));
  const good = readFileSync(p);
  const bad = Buffer.from(good);
  bad[bad.length - 5]! ^= 0xff;
  writeFileSync(p, bad);
  const back = await openImage(`oci:${dir}:t`);
  const l = (await back.layers())[1]!;
  await assert.rejects(async () => {
    for await (const _ of await l.compressed()) void _;
  }, (e: DistillError) => e.input === `layer ${layer.digest}` && /digest mismatch/.test(e.message));
  writeFileSync(p, good);
  const cfg = await img.manifest();
  const cp = join(dir, 'blobs/sha256', cfg.config.digest.slice(7));
  writeFileSync(cp, '{"broken": tru');
  const broken = await openImage(`oci:${dir}:t`);
  await assert.rejects(broken.config(), (e: DistillError) => e.input.includes(cfg.config.digest) && /does not match declared size/.test(e.message));
  assert.ok(existsSync(p));
  writeFileSync(cp, await img.rawConfig());
  const manifestPath = join(dir, 'blobs/sha256', (await img.digest()).slice(7));
  writeFileSync(manifestPath, 'garbage');
  await assert.rejects(openImage(`oci:${dir}:t`), (e: DistillError) => e instanceof DistillError && /does not match declared size/.test(e.message));
  assert.notEqual(sha256('garbage'), await img.digest());
  // same size, different bytes: the digest check catches it
  const raw = Buffer.from(await img.rawManifest());
  raw[raw.length - 2] = 0x20;
  writeFileSync(manifestPath, raw);
  await assert.rejects(openImage(`oci:${dir}:t`), /digest mismatch/);
  writeFileSync(manifestPath, await img.rawManifest());
  unlinkSync(p);
  const missing = await openImage(`oci:${dir}:t`);
  await assert.rejects(async () => (await missing.layers())[1]!.compressed(), (e: DistillError) => /missing blob sha256:/.test(e.message) && e.input.startsWith('oci:'));
});

test('an unknown tag lists the tags that exist', async () => {
  const dir = tempDir();
  await writeLayout(await sample(), dir, 'one');
  await assert.rejects(openImage(`oci:${dir}:two`), /no image tagged "two"; tags: one/);
});
