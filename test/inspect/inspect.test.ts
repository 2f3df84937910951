import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inspectImage } from '../../src/inspect/inspect.ts';
import { runDistill } from '../helpers/cli.ts';
import { tempDir } from '../helpers/images.ts';
import { file, gzLayer, memImage, rawTar, writeLayoutByHand } from '../layers/helpers.ts';

test('inspect resolves User against the image\'s own /etc/passwd: "00" is root, a name is its uid, an unknown name is unknown', async () => {
  const etc = (passwd: string) => gzLayer(rawTar([file('etc/passwd', passwd)]));
  const passwd = 'root:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n';
  const cases: [string, string | null, boolean | 'unknown', number | null][] = [
    ['00', null, true, 0],
    ['nonroot', passwd, false, 65532],
    ['nonroot', null, 'unknown', null],
    ['toor', 'toor:x:0:0::/:/sbin/nologin\n', true, 0],
    ['ghost', passwd, 'unknown', null],
  ];
  for (const [user, pw, root, uid] of cases) {
    const r = await inspectImage(memImage(pw === null ? [] : [etc(pw)], { config: { User: user } }));
    assert.deepEqual([r.config.runsAsRoot, r.config.resolvedUser.uid], [root, uid], `${user} ${pw === null ? 'without' : 'with'} passwd`);
  }
  // A later layer's passwd is the one that counts.
  const r = await inspectImage(memImage([etc('app:x:0:0::/:/bin/sh\n'), etc('app:x:1000:1000::/:/bin/sh\n')], { config: { User: 'app' } }));
  assert.deepEqual([r.config.runsAsRoot, r.config.resolvedUser.uid], [false, 1000]);
});

const layers = () => [
  gzLayer(rawTar([file('app/big.bin', Buffer.alloc(50_000, 1)), file('app/conf', 'v1')])),
  gzLayer(rawTar([file('app/conf', 'v2'), file('app/.wh.big.bin')])),
];
const config = {
  config: { User: '65532:65532', Entrypoint: ['/app/run'], Cmd: ['--serve'], Env: ['PATH=/usr/bin'], ExposedPorts: { '8080/tcp': {} as Record<string, never> }, WorkingDir: '/app' },
  history: [
    { created_by: 'COPY big.bin /app/' },
    { created_by: 'ENV X=1', empty_layer: true },
    { created_by: 'RUN rm /app/big.bin' },
  ],
};

test('inspectImage reports config, per-layer history and changes, sizes and honest waste', async () => {
  const ls = layers();
  const r = await inspectImage(memImage(ls, config), { reference: 'test' });
  assert.equal(r.config.user, '65532:65532');
  assert.equal(r.config.runsAsRoot, false);
  assert.deepEqual(r.config.entrypoint, ['/app/run']);
  assert.deepEqual(r.config.exposedPorts, ['8080/tcp']);
  assert.equal(r.config.workdir, '/app');
  assert.deepEqual(r.layers.map((l) => l.createdBy), ['COPY big.bin /app/', 'RUN rm /app/big.bin'], 'empty_layer history entries are skipped');
  assert.deepEqual(r.layers.map((l) => l.size), ls.map((l) => l.blob.length));
  assert.deepEqual(r.layers.map((l) => [l.added, l.modified, l.removed]), [[2, 0, 0], [0, 1, 1]]);
  assert.equal(r.totals.compressedSize, ls[0]!.blob.length + ls[1]!.blob.length);
  assert.equal(r.efficiency.wastedBytes, 50_000 + 2);
  assert.equal(r.efficiency.totalFileBytes, 50_000 + 2 + 2);
  assert.equal(r.efficiency.wasted[0]!.path, '/app/big.bin');
  assert.deepEqual(r.largestFiles, [{ path: '/app/conf', size: 2, layerIndex: 1 }]);
  assert.equal(r.totals.files, 1);
});

test('history that does not match the layers is not guessed', async () => {
  const r = await inspectImage(memImage(layers(), { history: [{ created_by: 'only one' }] }));
  assert.deepEqual(r.layers.map((l) => l.createdBy), [null, null]);
  assert.equal(r.config.runsAsRoot, true);
  assert.match(r.warnings.join('\n'), /history has 1 non-empty entries for 2 layers/);
});

test('distill inspect: --json is the report; text shows user, layers and efficiency', async () => {
  const layout = join(tempDir(), 'layout');
  const ls = layers();
  writeLayoutByHand(layout, 'v1', { layers: ls, config });
  const j = await runDistill(['inspect', '--json', `oci:${layout}:v1`]);
  assert.equal(j.code, 0, j.stderr);
  const r = JSON.parse(j.stdout);
  assert.equal(r.schemaVersion, 1);
  assert.equal(r.reference, `oci:${layout}:v1`);
  assert.equal(r.layers.length, 2);
  assert.equal(r.layers[0].uncompressedSize, rawTar([file('app/big.bin', Buffer.alloc(50_000, 1)), file('app/conf', 'v1')]).length);
  const t = await runDistill(['inspect', `oci:${layout}:v1`]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /User\s+65532:65532\s+non-root \(uid 65532 gid 65532\)/);
  assert.match(t.stdout, /RUN rm \/app\/big\.bin/);
  assert.match(t.stdout, /Efficiency \d+\.\d\d%\s+wasted 48\.8 KiB/);
  const bad = await runDistill(['inspect', `oci:${layout}:nope`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^distill: oci:.*:nope: no image tagged "nope"/);
});
