/**
 * Independent oracles read what distill writes: skopeo inspects it, umoci unpacks it with the same
 * file list, podman runs it. Needs podman, runc, skopeo and umoci (scripts/setup.sh installs them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, lstatSync } from 'node:fs';
import { join, relative } from 'node:path';
import { makeImage, tempDir } from '../helpers/images.ts';
import { openImage, writeImage } from '../../src/oci/reference.ts';
import { setCreated } from '../../src/mutate/mutate.ts';
import { run, podman } from '../helpers/podman.ts';

async function busyboxImage() {
  const busybox = readFileSync('/bin/busybox');
  return setCreated(
    await makeImage(
      [
        [
          { name: 'bin/', type: 'directory' },
          { name: 'bin/busybox', content: busybox, mode: 0o755 },
          { name: 'etc/', type: 'directory' },
          { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' },
        ],
        [
          { name: 'etc/message', content: 'hello from distill\n' },
          { name: 'srv/', type: 'directory', uid: 65532, gid: 65532 },
          { name: 'srv/link', type: 'symlink', linkname: '../etc/message' },
        ],
      ],
      { user: '65532', entrypoint: ['/bin/busybox'], cmd: ['cat', '/etc/message'] },
    ),
    new Date(0),
  );
}

/** Every path under `root`, relative, sorted; directories with a trailing slash. */
function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push(relative(root, p) + (st.isDirectory() ? '/' : ''));
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

const expectedFiles = ['bin/', 'bin/busybox', 'etc/', 'etc/message', 'etc/passwd', 'srv/', 'srv/link'];

test('skopeo inspects the OCI layout and the docker-archive distill writes', async () => {
  const dir = tempDir();
  const img = await busyboxImage();
  await writeImage(img, `oci:${join(dir, 'layout')}:v1`);
  await writeImage(img, `docker-archive:${join(dir, 'img.tar')}:localhost/distill-test:v1`);
  const a = await run('skopeo', ['inspect', `oci:${join(dir, 'layout')}:v1`]);
  assert.equal(a.code, 0, a.stderr);
  const ja = JSON.parse(a.stdout);
  assert.equal(ja.Digest, await img.digest());
  assert.equal(ja.Layers.length, 2);
  assert.equal(ja.Os, 'linux');
  const b = await run('skopeo', ['inspect', `docker-archive:${join(dir, 'img.tar')}`]);
  assert.equal(b.code, 0, b.stderr);
  const jb = JSON.parse(b.stdout);
  assert.deepEqual(jb.Layers, (await img.config()).rootfs.diff_ids);
  // skopeo copies it back into a layout; distill reads that with the same config
  const c = await run('skopeo', ['copy', `docker-archive:${join(dir, 'img.tar')}`, `oci:${join(dir, 'copied')}:c`]);
  assert.equal(c.code, 0, c.stderr);
  const copied = await openImage(`oci:${join(dir, 'copied')}:c`);
  assert.deepEqual((await copied.config()).rootfs.diff_ids, (await img.config()).rootfs.diff_ids);
});

test('umoci unpacks the layout (and the docker-archive via skopeo) with identical file lists', async () => {
  const dir = tempDir();
  const img = await busyboxImage();
  await writeImage(img, `oci:${join(dir, 'layout')}:v1`);
  const u = await run('umoci', ['unpack', '--rootless', '--image', `${join(dir, 'layout')}:v1`, join(dir, 'bundle')]);
  assert.equal(u.code, 0, u.stderr);
  assert.deepEqual(listTree(join(dir, 'bundle', 'rootfs')), expectedFiles);
  assert.equal(readFileSync(join(dir, 'bundle', 'rootfs', 'etc/message'), 'utf8'), 'hello from distill\n');

  await writeImage(img, `docker-archive:${join(dir, 'img.tar')}:localhost/distill-test:v1`);
  const c = await run('skopeo', ['copy', `docker-archive:${join(dir, 'img.tar')}`, `oci:${join(dir, 'fromarchive')}:v1`]);
  assert.equal(c.code, 0, c.stderr);
  const u2 = await run('umoci', ['unpack', '--rootless', '--image', `${join(dir, 'fromarchive')}:v1`, join(dir, 'bundle2')]);
  assert.equal(u2.code, 0, u2.stderr);
  assert.deepEqual(listTree(join(dir, 'bundle2', 'rootfs')), expectedFiles);
});

test('podman runs the OCI layout as the configured non-root user', async () => {
  const dir = tempDir();
  await writeImage(await busyboxImage(), `oci:${join(dir, 'layout')}:v1`);
  const r = await podman(['run', '--rm', '--network', 'none', `oci:${join(dir, 'layout')}:v1`], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello from distill\n');
  const id = await podman(['run', '--rm', '--network', 'none', '--read-only', `oci:${join(dir, 'layout')}:v1`, 'id', '-u'], { timeoutMs: 120_000 });
  assert.equal(id.code, 0, id.stderr);
  assert.equal(id.stdout.trim(), '65532');
});

test('podman loads the docker-archive and distill reads it back from podman', async () => {
  const dir = tempDir();
  const img = await busyboxImage();
  await writeImage(img, `podman:localhost/distill-e2e:v1`);
  const r = await podman(['run', '--rm', '--network', 'none', 'localhost/distill-e2e:v1'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello from distill\n');
  const back = await openImage('podman:localhost/distill-e2e:v1');
  assert.deepEqual((await back.config()).rootfs.diff_ids, (await img.config()).rootfs.diff_ids);
  await writeImage(back, `oci:${join(dir, 'out')}:x`);
  await podman(['rmi', '-f', 'localhost/distill-e2e:v1']);
});
