/**
 * The hostile corpus against registries: `distill pull` from a loopback registry that drips,
 * cuts bodies short, sends too much or other bytes, lies about sizes and digests; `distill push`
 * of images whose descriptors lie, to a real registry; and a pull killed with SIGKILL halfway
 * through a 300 MB blob, which the next run resumes with Range. Every case ends within 90 s, in
 * exit 2 with one line, or in a correct pull.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../src/oci/digest.ts';
import { file, rawTar, writeLayoutByHand } from '../layers/helpers.ts';
import { BIN, ROOT } from '../helpers/cli.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { listTree, rewriteManifest, sandbox, smallLayer } from './build.ts';
import { assertOneLineFailure, runMeasured } from './run.ts';
import { startHostileRegistry, type BlobMode, type HostileRegistry } from './server.ts';

let reg: HostileRegistry;
before(async () => {
  reg = await startHostileRegistry();
});
after(async () => {
  await reg.stop();
});

/** A small gzip layer, unique per `seed`, served with `mode`. */
function layer(seed: string, mode: BlobMode, declaredSize?: number) {
  const l = smallLayer(`etc/${seed}`, `content of ${seed} `.repeat(200));
  return { data: l.blob, diffId: l.diffId, mode, ...(declaredSize !== undefined ? { declaredSize } : {}) };
}

const noTemps = (root: string) => assert.deepEqual(listTree(root).filter((p) => p.endsWith('.tmp')), [], 'temp files left behind');
const FAST = ['--retries', '1', '--min-rate', '1K', '--rate-window', '2'];

for (const [name, mode, destKind, pattern] of [
  ['a 1 byte/s drip is cut by the minimum rate', 'drip', 'oci', /too slow/],
  ['a short body (cut mid-blob every time)', 'short', 'oci-archive', /interrupted after \d+ of \d+ bytes/],
  ['a body longer than its descriptor', 'long', 'oci', /larger than its declared size/],
  ['a blob with a wrong digest', 'wrong', 'oci-archive', /digest mismatch/],
  ['a blob with a wrong digest, into oci:', 'wrong', 'oci', /digest mismatch/],
] as const) {
  test(`pull: ${name} -> exit 2, one line, nothing left`, { timeout: 90_000 }, async () => {
    const { root, work } = sandbox();
    reg.add('h/app', mode + destKind, [layer(name, mode)]);
    const dest = destKind === 'oci' ? `oci:${join(work, 'out')}:t` : `oci-archive:${join(work, 'out.tar')}`;
    const r = await runMeasured(['pull', ...FAST, `${reg.host}/h/app:${mode}${destKind}`, dest]);
    assertOneLineFailure(r, 2, pattern);
    assert.ok(r.ms < 90_000);
    noTemps(root);
    assert.ok(!existsSync(join(work, 'out.tar')));
  });
}

test('pull: a layer larger than its descriptor says is refused', { timeout: 90_000 }, async () => {
  const { root, work } = sandbox();
  const l = layer('size-lie', 'ok');
  reg.add('h/app', 'sizelie', [{ ...l, declaredSize: l.data.length - 10 }]);
  const r = await runMeasured(['pull', ...FAST, `${reg.host}/h/app:sizelie`, `oci:${join(work, 'out')}:t`]);
  assertOneLineFailure(r, 2, /size/);
  noTemps(root);
});

test('pull: a malformed Docker-Content-Digest is ignored and the pull is correct', { timeout: 90_000 }, async () => {
  const { root, work } = sandbox();
  const digest = reg.add('h/app', 'baddcd', [layer('bad-dcd', 'ok')], { dcd: 'sha256:not-hex' });
  const r = await runMeasured(['pull', '--json', `${reg.host}/h/app:baddcd`, `oci:${join(work, 'out')}:t`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { digest: string }).digest, digest);
  const ex = await runMeasured(['export', `oci:${join(work, 'out')}:t`, join(work, 'rootfs')]);
  assert.equal(ex.code, 0, ex.stderr);
  noTemps(root);
});

test('pull: a wrong Docker-Content-Digest is refused', { timeout: 90_000 }, async () => {
  const { root, work } = sandbox();
  reg.add('h/app', 'wrongdcd', [layer('wrong-dcd', 'ok')], { dcd: sha256('another manifest') });
  const r = await runMeasured(['pull', ...FAST, `${reg.host}/h/app:wrongdcd`, `oci:${join(work, 'out')}:t`]);
  assertOneLineFailure(r, 2, /manifest digest mismatch: registry says/);
  noTemps(root);
});

test('pull: into oci:/proc/… fails at once instead of spinning', { timeout: 90_000 }, async () => {
  reg.add('h/app', 'proc', [layer('proc', 'ok')]);
  const r = await runMeasured(['pull', `${reg.host}/h/app:proc`, `oci:/proc/distill-hostile-${process.pid}:t`]);
  assertOneLineFailure(r, 2, /\/proc\//);
  assert.ok(r.ms < 30_000, `${r.ms} ms`);
});

test('pull: an existing blob of the right size but wrong bytes is replaced, not trusted', { timeout: 90_000 }, async () => {
  const { root, work } = sandbox();
  const l = layer('reuse', 'ok');
  reg.add('h/app', 'reuse', [l]);
  const blobs = join(work, 'out', 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  writeFileSync(join(blobs, sha256(l.data).slice(7)), Buffer.alloc(l.data.length, 0x42));
  const r = await runMeasured(['pull', `${reg.host}/h/app:reuse`, `oci:${join(work, 'out')}:t`]);
  assert.equal(r.code, 0, r.stderr);
  const ex = await runMeasured(['export', `oci:${join(work, 'out')}:t`, join(work, 'rootfs')]);
  assert.equal(ex.code, 0, ex.stderr);
  assert.ok(existsSync(join(work, 'rootfs', 'etc', 'reuse')));
  noTemps(root);
});

test('pull: temp files of a dead process are removed', { timeout: 90_000 }, async () => {
  const { root, work } = sandbox();
  reg.add('h/app', 'stale', [layer('stale', 'ok')]);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  const blobs = join(work, 'out', 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  writeFileSync(join(blobs, `.${'ab'.repeat(32)}.${dead}-0123abcd.tmp`), Buffer.alloc(4096));
  writeFileSync(join(work, 'out', `.index.json.${dead}-0123abcd.tmp`), '{');
  const r = await runMeasured(['pull', `${reg.host}/h/app:stale`, `oci:${join(work, 'out')}:t`]);
  assert.equal(r.code, 0, r.stderr);
  noTemps(root);
});

/** sha256 of a file, streamed. */
async function fileSha(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(p)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

test('pull: kill -9 during a 300 MB pull, the rerun resumes with Range and ends valid', { timeout: 180_000 }, async () => {
  const { root, work } = sandbox();
  const data = rawTar([file('big', randomBytes(300 * 1024 * 1024))]);
  const digest = sha256(data);
  reg.add('h/app', 'big', [{ data, diffId: digest, mode: 'throttle', mediaType: 'application/vnd.oci.image.layer.v1.tar' } as never]);
  reg.throttleRate = 40 * 1024 * 1024;
  const ref = `${reg.host}/h/app:big`;
  const dest = `oci:${join(work, 'out')}:t`;
  const child = spawn(process.execPath, [BIN, 'pull', '-q', ref, dest], { cwd: ROOT, env: { ...process.env, DISTILL_FROM_SOURCE: '1' }, stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const t0 = Date.now();
  while ((reg.sent.get(digest) ?? 0) < 100 * 1024 * 1024 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGKILL');
  await exited;
  const partials = readdirSync(join(work, 'out', 'blobs', 'sha256')).filter((n) => n.endsWith('.tmp'));
  assert.equal(partials.length, 1, 'the killed pull left its partial blob');
  const logged = reg.log.length;
  reg.throttleRate = 400 * 1024 * 1024;
  const r = await runMeasured(['pull', '--json', ref, dest]);
  assert.equal(r.code, 0, r.stderr);
  const ranged = reg.log.slice(logged).filter((e) => e.path.endsWith(digest) && e.range);
  assert.ok(ranged.length >= 1 && Number(/bytes=(\d+)-/.exec(ranged[0]!.range!)![1]) > 50 * 1024 * 1024, JSON.stringify(reg.log.slice(logged)));
  assert.equal(await fileSha(join(work, 'out', 'blobs', 'sha256', digest.slice(7))), digest);
  noTemps(root);
});

let real: TestRegistry | undefined;
const hasRegistry = spawnSync('sh', ['-c', 'command -v docker-registry']).status === 0;

test('push: descriptor sizes that lie are refused (real registry)', { skip: !hasRegistry && 'docker-registry is not installed', timeout: 90_000 }, async () => {
  real ??= await startRegistry();
  for (const delta of [-5, 5]) {
    const { root, work } = sandbox();
    writeLayoutByHand(join(work, 'img'), 't', { layers: [smallLayer(`etc/push${delta}`, `push ${delta}`)] });
    rewriteManifest(join(work, 'img'), (m) => {
      m.layers[0]!.size += delta;
    });
    const r = await runMeasured(['push', '--retries', '0', `oci:${join(work, 'img')}:t`, `${real.host}/h/lie${delta < 0 ? 'small' : 'big'}:1`]);
    assertOneLineFailure(r, 2, /size/);
    noTemps(root);
  }
});

test('push: a layer whose bytes do not match its digest is refused (real registry)', { skip: !hasRegistry && 'docker-registry is not installed', timeout: 90_000 }, async () => {
  real ??= await startRegistry();
  const { root, work } = sandbox();
  const l = smallLayer('etc/corrupt', 'corrupt');
  const bad = Buffer.from(l.blob);
  bad[bad.length >> 1]! ^= 0xff;
  writeLayoutByHand(join(work, 'img'), 't', { layers: [l], corrupt: new Map([[sha256(l.blob), bad]]) });
  const r = await runMeasured(['push', '--retries', '0', `oci:${join(work, 'img')}:t`, `${real.host}/h/corrupt:1`]);
  assertOneLineFailure(r, 2, /digest mismatch/);
  noTemps(root);
});

after(async () => {
  await real?.stop();
});
