/** Debug variants without the network: a stand-in busybox layer appended, config kept; sidecar args; kubectl line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachArgs, busyboxImage, DEBUG_LABEL, debugImage, kubectlDebugLine } from '../../src/runtime/debug.ts';
import { makeImage, makeLayer } from '../helpers/images.ts';

test('debugImage appends the layer, keeps entrypoint, cmd and user, adds /busybox to PATH once and labels it', async () => {
  const layer = await makeLayer([{ name: 'busybox/busybox', content: 'bb', mode: 0o755 }, { name: 'busybox/sh', type: 'symlink', linkname: 'busybox' }]);
  const base = await makeImage([[{ name: 'app', content: 'x', mode: 0o755 }]], { entrypoint: ['/app'], cmd: ['--serve'], user: '65532', env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } });
  const dbg = await debugImage(base, { layer });
  const c = await dbg.config();
  assert.deepEqual(c.config?.Entrypoint, ['/app']);
  assert.deepEqual(c.config?.Cmd, ['--serve']);
  assert.equal(c.config?.User, '65532');
  assert.deepEqual(c.config?.Env, ['PATH=/usr/bin:/bin:/busybox', 'LANG=C.UTF-8']);
  assert.equal(c.config?.Labels?.[DEBUG_LABEL], 'true');
  const layers = await dbg.layers();
  assert.equal(layers.length, 2);
  assert.equal(layers[1]!.diffId, layer.diffId);
  assert.deepEqual(c.rootfs.diff_ids, [...(await base.config()).rootfs.diff_ids, layer.diffId]);
  const twice = await (await debugImage(dbg, { layer })).config();
  assert.equal(twice.config?.Env?.[0], 'PATH=/usr/bin:/bin:/busybox', 'PATH gets /busybox once');
  const noPath = await (await debugImage(await makeImage([[]]), { layer })).config();
  assert.match(noPath.config!.Env![0]!, /^PATH=\/usr\/local\/sbin:.*:\/bin:\/busybox$/);
});

test('busyboxImage runs /busybox/sh on scratch', async () => {
  const layer = await makeLayer([{ name: 'busybox/busybox', content: 'bb', mode: 0o755 }]);
  const c = await (await busyboxImage({ layer })).config();
  assert.deepEqual([c.config?.Cmd, c.config?.Entrypoint ?? null, c.rootfs.diff_ids.length], [['/busybox/sh'], null, 1]);
  assert.match(c.config!.Env![0]!, /^PATH=\/busybox:/);
});

test('the sidecar joins pid and network namespaces with ptrace access', () => {
  const a = attachArgs('web', 'localhost/distill-busybox:latest', { command: ['cat', '/proc/1/root/etc/passwd'] });
  const flag = (f: string) => a[a.indexOf(f) + 1];
  assert.equal(flag('--pid'), 'container:web');
  assert.equal(flag('--network'), 'container:web');
  assert.equal(flag('--cap-add'), 'SYS_PTRACE');
  assert.equal(flag('--entrypoint'), 'cat');
  assert.deepEqual(a.slice(-2), ['localhost/distill-busybox:latest', '/proc/1/root/etc/passwd']);
  assert.ok(!a.includes('-t'));
  const sh = attachArgs('web', 'img', { tty: true });
  assert.ok(sh.includes('-t'));
  assert.equal(sh[sh.indexOf('--entrypoint') + 1], '/busybox/sh');
});

test('kubectl debug line', () => {
  assert.equal(kubectlDebugLine('api-7d9', { container: 'api' }), 'kubectl debug -it api-7d9 --image=busybox --target=api');
  assert.equal(kubectlDebugLine('p', { namespace: 'ns', image: 'img:1', profile: 'restricted' }), 'kubectl debug -it p -n ns --image=img:1 --profile=restricted');
});
