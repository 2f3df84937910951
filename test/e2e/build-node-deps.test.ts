/**
 * `distill build` of a Node app with a real dependency from the configured npm registry: npm ci
 * runs outside APPDIR (APPDIR gains no node_modules), node_modules is a layer of its own, and
 * editing a source file changes only the small app layer — the dependency layer keeps its digest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '../../src/assemble/index.ts';
import { writeLayout } from '../../src/oci/transports/layout.ts';
import { makeImage, tempDir } from '../helpers/images.ts';
import { ROOT } from '../helpers/cli.ts';

test('node: npm ci dependencies in their own layer, stable across a code change; APPDIR untouched', async () => {
  const work = tempDir('distill-e2e-build-deps-');
  const app = join(work, 'app');
  cpSync(join(ROOT, 'examples', 'node-express'), app, { recursive: true });
  execFileSync('npm', ['install', '--save', '--package-lock-only', '--no-audit', '--no-fund', 'express@4'], { cwd: app, stdio: 'ignore' });
  assert.ok(!existsSync(join(app, 'node_modules')));
  const before = readdirSync(app).sort();
  const base = join(work, 'base');
  await writeLayout(await makeImage([[{ name: 'etc/', type: 'directory' }]], { entrypoint: ['/nodejs/bin/node'] }), base, 'nonroot');
  // A private cache, so the first build really runs npm ci.
  const cache = join(work, 'cache');
  const prev = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cache;
  try {
    const first = await buildApp({ appDir: app, base: `oci:${base}:nonroot`, sourceEnv: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.ok(first.steps.some((s) => /^npm ci --omit=dev/.test(s)), first.steps.join('; '));
    assert.deepEqual(readdirSync(app).sort(), before, 'npm ci wrote into APPDIR');
    appendFileSync(join(app, 'server.js'), '// a code change\n');
    const second = await buildApp({ appDir: app, base: `oci:${base}:nonroot`, sourceEnv: { SOURCE_DATE_EPOCH: '1700000000' } });
    // A cold rebuild of the dependency layer (cache emptied) gives the same bytes: npm ci is reproducible here.
    rmSync(join(cache, 'distill', 'build', 'layers'), { recursive: true, force: true });
    rmSync(join(cache, 'distill', 'build', 'npm'), { recursive: true, force: true });
    const third = await buildApp({ appDir: app, base: `oci:${base}:nonroot`, sourceEnv: { SOURCE_DATE_EPOCH: '1700000000' } });
    try {
      assert.deepEqual(first.layers.map((l) => l.name), ['dependencies', 'app']);
      assert.ok(first.layers[0]!.files > 100, `node_modules has ${first.layers[0]!.files} files`);
      assert.equal(second.layers[0]!.layer.digest, first.layers[0]!.layer.digest, 'dependency layer changed with a code change');
      assert.notEqual(second.layers[1]!.layer.digest, first.layers[1]!.layer.digest);
      assert.ok(second.layers[1]!.layer.size < first.layers[0]!.layer.size / 10, 'the app layer is the small one');
      assert.equal(third.layers[0]!.layer.digest, first.layers[0]!.layer.digest, 'fresh npm ci gave other bytes');
      assert.equal(await third.image.digest(), await second.image.digest());
    } finally {
      for (const r of [first, second, third]) r.cleanup();
    }
  } finally {
    if (prev === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = prev;
    rmSync(work, { recursive: true, force: true });
  }
});
