/** The merged filesystem verify's file checks read: whiteouts, opaque dirs, symlinks inside the image root. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookup, mergedFs } from '../../src/runtime/fsview.ts';
import { makeImage } from '../helpers/images.ts';

test('whiteouts and opaque directories hide lower layers; later layers replace entries', async () => {
  const img = await makeImage([
    [
      { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
      { name: 'usr/bin/sh', content: 'shell', mode: 0o755 },
      { name: 'usr/bin/apt', content: 'apt', mode: 0o755 },
      { name: 'etc/app/a.conf', content: 'a' },
      { name: 'etc/app/b.conf', content: 'b' },
      { name: 'data', type: 'directory' },
      { name: 'data/x', content: 'x' },
    ],
    [
      { name: 'usr/bin/.wh.sh', content: '' },
      { name: 'etc/app/.wh..wh..opq', content: '' },
      { name: 'etc/app/c.conf', content: 'c', mode: 0o600, uid: 65532 },
      { name: 'data', content: 'now a file' },
    ],
  ]);
  const fs = await mergedFs(img);
  assert.equal(lookup(fs, '/bin/sh'), undefined, 'whited-out file is gone, through the /bin symlink too');
  assert.deepEqual(lookup(fs, '/bin/apt')?.path, '/usr/bin/apt');
  assert.equal(lookup(fs, '/etc/app/a.conf'), undefined);
  assert.equal(lookup(fs, '/etc/app/b.conf'), undefined);
  const c = lookup(fs, 'etc/app/c.conf')!;
  assert.deepEqual([c.node.mode, c.node.uid, c.node.type], [0o600, 65532, 'file']);
  assert.equal(lookup(fs, '/data')?.node.type, 'file');
  assert.equal(lookup(fs, '/data/x'), undefined, 'a directory replaced by a file loses its children');
  assert.equal(lookup(fs, '/bin', false)?.node.type, 'symlink');
  assert.equal(lookup(fs, '/bin')?.node.type, 'directory', 'implied directory /usr/bin');
});

test('symlinks resolve inside the image root: absolute, relative, .. and loops', async () => {
  const img = await makeImage([
    [
      { name: 'usr/lib/libx.so.1', content: 'lib' },
      { name: 'usr/lib/libx.so', type: 'symlink', linkname: 'libx.so.1' },
      { name: 'lib', type: 'symlink', linkname: '/usr/lib' },
      { name: 'opt/up', type: 'symlink', linkname: '../../../../usr/lib/libx.so' },
      { name: 'loop/a', type: 'symlink', linkname: 'b' },
      { name: 'loop/b', type: 'symlink', linkname: 'a' },
      { name: 'dangling', type: 'symlink', linkname: '/nowhere' },
    ],
  ]);
  const fs = await mergedFs(img);
  assert.equal(lookup(fs, '/lib/libx.so')?.path, '/usr/lib/libx.so.1');
  assert.equal(lookup(fs, '/opt/up')?.path, '/usr/lib/libx.so.1', '.. stops at the image root, never the host');
  assert.equal(lookup(fs, '/loop/a'), undefined);
  assert.equal(lookup(fs, '/dangling'), undefined);
  assert.equal(lookup(fs, '/dangling', false)?.node.linkname, '/nowhere');
  assert.equal(lookup(fs, '/usr/lib/libx.so.1/x'), undefined, 'a file is not a directory');
});
