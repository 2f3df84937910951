/**
 * `distill debug` with podman on a distroless python3 image from `distill base`: the debug
 * variant has a busybox shell and keeps the original entrypoint; `debug attach` runs a busybox
 * sidecar that reads the target's files through /proc/1/root and sees its process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';
import { podman, podmanEnv } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';

const work = tempDir('distill-e2e-debug-');
const env = podmanEnv();
const PY = `oci:${join(work, 'py')}:nonroot`;
const TARGET = `distill-e2e-debug-target-${process.pid}`;

before(async () => {
  const b = await runDistill(['base', 'python3', '-o', join(work, 'py'), '--lock', join(work, 'py.lock'), '--quiet']);
  assert.equal(b.code, 0, b.stderr);
  // attach builds and loads its busybox sidecar image when the engine lacks it: start from that.
  await podman(['rmi', '-f', 'localhost/distill-busybox:latest']);
});

after(async () => {
  await podman(['rm', '-f', '-t', '0', TARGET]);
});

test('debug image: busybox shell at /busybox, PATH extended, entrypoint kept, labelled', async () => {
  const out = `oci:${join(work, 'dbg')}:debug`;
  const r = await runDistill(['debug', 'image', PY, '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).shell, '/busybox/sh');
  const sh = await podman(['run', '--rm', '--network', 'none', '--entrypoint', '/busybox/sh', out, '-c', 'ls /; id -u'], { timeoutMs: 120_000 });
  assert.equal(sh.code, 0, sh.stderr);
  assert.deepEqual(sh.stdout.trim().split('\n').slice(0, -1).filter((l) => ['busybox', 'etc', 'usr'].includes(l)), ['busybox', 'etc', 'usr']);
  assert.equal(sh.stdout.trim().split('\n').pop(), '65532', 'the user is kept');
  // The original entrypoint (python3) still runs the app, and busybox applets are on PATH.
  const app = await podman(['run', '--rm', '--network', 'none', out, '-c', 'import os, shutil; print(shutil.which("ls"), os.environ["PATH"].endswith(":/busybox"))'], { timeoutMs: 120_000 });
  assert.equal(app.code, 0, app.stderr);
  assert.equal(app.stdout.trim(), '/busybox/ls True');
  const label = await podman(['image', 'inspect', '--format', '{{index .Config.Labels "dev.distill.debug"}}', (await podman(['pull', '-q', out])).stdout.trim()]);
  assert.equal(label.stdout.trim(), 'true');
  // The original has no shell: the variant is an addition, not a rebuild.
  const orig = await podman(['run', '--rm', '--network', 'none', '--entrypoint', '/busybox/sh', PY, '-c', 'true']);
  assert.notEqual(orig.code, 0);
});

test('debug attach: a sidecar reads the target\'s files through /proc/1/root and sees its process', async () => {
  const start = await podman(['run', '-d', '--name', TARGET, '--read-only', '--cap-drop', 'ALL', '--network', 'none', PY, '-c', 'import time; time.sleep(120)']);
  assert.equal(start.code, 0, start.stderr);
  const cat = await runDistill(['debug', 'attach', TARGET, '--', 'cat', '/proc/1/root/etc/os-release'], { env });
  assert.equal(cat.code, 0, cat.stderr);
  assert.match(cat.stdout, /^PRETTY_NAME="Debian GNU\/Linux 12 \(bookworm\)"$/m);
  // The target has no shell of its own, yet its distroless passwd is readable from the sidecar.
  const pw = await runDistill(['debug', 'attach', TARGET, '--', 'grep', '^nonroot:', '/proc/1/root/etc/passwd'], { env });
  assert.equal(pw.code, 0, pw.stderr);
  assert.match(pw.stdout, /^nonroot:x:65532:65532:/m);
  const ps = await runDistill(['debug', 'attach', TARGET, '--', 'ps'], { env });
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /^\s*1\s+65532\s+\/usr\/bin\/python3 -c import time; time\.sleep\(120\)$/m);
  const code = await runDistill(['debug', 'attach', TARGET, '--', 'sh', '-c', 'exit 7'], { env });
  assert.equal(code.code, 7, 'the sidecar command\'s exit status is passed through');
  const gone = await runDistill(['debug', 'attach', `${TARGET}-missing`, '--', 'ps'], { env });
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /^distill: .*-missing: no such container in podman$/m);
});

test('debug kubectl prints the kubectl debug --target line', async () => {
  const r = await runDistill(['debug', 'kubectl', 'web-0', '--container', 'app', '-n', 'shop']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], 'kubectl debug -it web-0 -n shop --image=busybox --target=app');
  const j = await runDistill(['debug', 'kubectl', 'web-0', '-c', 'app', '--image', 'registry.example/busybox:1', '--profile', 'general', '--json']);
  assert.deepEqual(JSON.parse(j.stdout), { command: 'kubectl debug -it web-0 --image=registry.example/busybox:1 --target=app --profile=general' });
});
