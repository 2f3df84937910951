/**
 * `distill build APPDIR` with no base named, as with ko or jib: on an empty cache it builds the
 * nodejs base (Debian packages from this machine's apt sources, Node.js from npm's registry) into
 * the cache and says so; the next build takes it from the cache and says that; the image serves
 * HTTP under podman read-only as uid 65532.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { flavour } from '../../src/base/flavours.ts';
import { freeLoopbackPort } from '../../src/util/net.ts';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { getJson } from '../helpers/http.ts';
import { tempDir } from '../helpers/images.ts';
import { podman } from '../helpers/podman.ts';

const work = tempDir('distill-e2e-default-base-');
const cache = join(work, 'cache');
const env = { DISTILL_CACHE_DIR: cache, SOURCE_DATE_EPOCH: '1700000000' };
const app = join(ROOT, 'examples', 'node-express');
const cleanups: string[][] = [];
const major = String(flavour('nodejs').nodeMajor);
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

after(async () => {
  for (const args of cleanups.reverse()) await podman(args);
  rmSync(work, { recursive: true, force: true });
});

test('distill build with no base builds the nodejs base into an empty cache, reuses it, and the image serves HTTP', async () => {
  const entry = join(cache, 'bases', `nodejs-node${major}`);
  const layout = join(work, 'out');
  const first = await runDistill(['build', app, '-o', `oci:${layout}:t`], { env });
  assert.equal(first.code, 0, first.stderr);
  // Off a terminal: one progress line while the base builds, then which base it was.
  assert.match(first.stderr, new RegExp(`^distill: building the nodejs \\(node ${major}\\) base into the cache: ${re(entry)}$`, 'm'));
  assert.match(first.stderr, new RegExp(`^built the nodejs base into the cache: ${re(entry)}$`, 'm'));
  assert.match(first.stdout, new RegExp(`^node app on oci:${re(entry)}/layout:nonroot `, 'm'));
  assert.ok(existsSync(join(entry, 'distill.lock.json')), 'the lockfile is kept beside the base');
  const digest = /^digest (sha256:[0-9a-f]{64})$/m.exec(first.stdout)?.[1];
  assert.ok(digest, first.stdout);

  const second = await runDistill(['build', app, '-o', `oci:${join(work, 'again')}:t`, '--json'], { env });
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /building/);
  const out = JSON.parse(second.stdout);
  assert.deepEqual([out.base.flavour, out.base.source, out.base.cache, out.base.lockfile], ['nodejs', 'cache', entry, join(entry, 'distill.lock.json')]);
  assert.deepEqual(out.base.added, [], 'a pure JavaScript app adds nothing to the base');
  assert.equal(out.digest, digest, 'the cached base gives the same image');
  const text = await runDistill(['build', app, '-o', `oci:${join(work, 'third')}:t`], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stderr, new RegExp(`^base: nodejs \\(distill base, cached at ${re(entry)}\\)$`, 'm'));

  const pulled = await podman(['pull', '-q', `oci:${layout}:t`]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const id = pulled.stdout.trim().split('\n').pop()!;
  cleanups.push(['rmi', '-f', id]);
  const port = await freeLoopbackPort();
  const run = await podman(['run', '-d', '--read-only', '--user', '65532', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-p', `127.0.0.1:${port}:8080`, id]);
  assert.equal(run.code, 0, run.stderr);
  const cid = run.stdout.trim();
  cleanups.push(['rm', '-f', '-t', '0', cid]);
  const deadline = Date.now() + 60_000;
  const root = await getJson(`http://127.0.0.1:${port}/`, deadline);
  assert.equal(root.status, 200);
  assert.equal(root.body.service, 'node-express');
  const health = await getJson(`http://127.0.0.1:${port}/health`, deadline);
  assert.equal(health.status, 200);
  assert.equal(health.body.status, 'ok');
  const user = await podman(['inspect', '--format', '{{.Config.User}}', cid]);
  assert.equal(user.stdout.trim(), '65532');
});
