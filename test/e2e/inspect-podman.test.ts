/**
 * Issue 2 acceptance: `distill inspect` on an image built from a Debian rootfs (mmdebstrap
 * --variant=apt, podman import, podman save) reports the same per-layer uncompressed sizes as
 * `podman history`, both from the saved docker-archive and straight from podman's store.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { runDistill } from '../helpers/cli.ts';
import { debianDockerArchive, debianRootfsTar } from '../helpers/debian.ts';
import { podmanEnv } from '../helpers/podman.ts';

const NAME = 'localhost/distill-test-debian:fat';

interface InspectJson {
  layers: { index: number; diffId: string; uncompressedSize: number }[];
  totals: { layers: number; uncompressedSize: number };
}

/** podman's per-layer sizes, oldest first, without the history entries that made no layer. */
function podmanLayerSizes(): number[] {
  const hist = JSON.parse(execFileSync('podman', ['history', '--format', 'json', NAME], { env: podmanEnv(), encoding: 'utf8' })) as { size: number }[];
  return hist.reverse().filter((h) => h.size > 0).map((h) => h.size);
}

async function inspect(ref: string): Promise<InspectJson> {
  const r = await runDistill(['inspect', ref, '--json'], { env: podmanEnv() });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as InspectJson;
}

test('inspect of a podman-saved Debian rootfs agrees with podman history, from the archive and from podman', { timeout: 600_000 }, async () => {
  const { archive, podmanSize } = debianDockerArchive();
  const sizes = podmanLayerSizes();
  assert.ok(sizes.length >= 1, 'podman reports at least one layer');
  assert.equal(sizes.reduce((a, b) => a + b, 0), podmanSize);
  // The imported layer is the mmdebstrap tarball itself, so its byte count is a third witness.
  assert.equal(sizes[0], statSync(debianRootfsTar()).size);

  for (const ref of [`docker-archive:${archive}`, `podman:${NAME}`]) {
    const report = await inspect(ref);
    assert.deepEqual(report.layers.map((l) => l.uncompressedSize), sizes, `${ref}: per-layer uncompressed sizes`);
    assert.equal(report.totals.layers, sizes.length, ref);
    assert.equal(report.totals.uncompressedSize, podmanSize, `${ref}: total uncompressed size`);
  }
});
