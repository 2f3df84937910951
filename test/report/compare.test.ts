import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeImage, tempDir } from '../helpers/images.ts';
import { writeImage } from '../../src/oci/reference.ts';
import { compareImages, comparisonMarkdown } from '../../src/report/compare.ts';
import { renderReport } from '../../src/report/html.ts';
import { importOsv } from '../../src/vuln/db.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runDistill } from '../helpers/cli.ts';

async function pair(dir: string) {
  const fat = await makeImage(
    [
      [
        { name: 'bin/', type: 'directory' },
        { name: 'bin/sh', content: Buffer.alloc(40_000, 1), mode: 0o755 },
        { name: 'usr/', type: 'directory' },
        { name: 'usr/bin/', type: 'directory' },
        { name: 'usr/bin/apt-get', content: Buffer.alloc(30_000, 2), mode: 0o755 },
        { name: 'usr/bin/su', content: 'x', mode: 0o4755 },
        { name: 'var/', type: 'directory' },
        { name: 'var/lib/', type: 'directory' },
        { name: 'var/lib/dpkg/', type: 'directory' },
        { name: 'var/lib/dpkg/status', content: 'Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\nVersion: 2\n' },
      ],
      [{ name: 'app/', type: 'directory' }, { name: 'app/server', content: Buffer.alloc(10_000, 3), mode: 0o755 }],
    ],
    { cmd: ['/app/server'] },
  );
  const slim = await makeImage([[{ name: 'app/', type: 'directory' }, { name: 'app/server', content: Buffer.alloc(10_000, 3), mode: 0o755 }]], { user: '65532', entrypoint: ['/app/server'] });
  await writeImage(fat, `oci:${join(dir, 'fat')}:v1`);
  await writeImage(slim, `oci:${join(dir, 'slim')}:v1`);
  return [`oci:${join(dir, 'fat')}:v1`, `oci:${join(dir, 'slim')}:v1`];
}

test('compare reports sizes, packages, shell/pm/root and reductions against the first image', async () => {
  const dir = tempDir();
  const refs = await pair(dir);
  const c = await compareImages(refs, { dbDir: join(dir, 'no-db') });
  const [fat, slim] = c.images;
  assert.equal(fat!.shell, true);
  assert.equal(fat!.packageManager, true);
  assert.equal(fat!.runsAsRoot, true);
  assert.equal(fat!.setuidFiles, 1);
  assert.equal(fat!.packages, 2);
  assert.equal(fat!.layers.length, 2);
  assert.ok(fat!.layers[0]!.uncompressed > 70_000 && fat!.layers[0]!.uncompressed < 90_000);
  assert.equal(slim!.shell, false);
  assert.equal(slim!.runsAsRoot, false);
  assert.equal(slim!.distroless, true);
  assert.equal(fat!.vulnerabilities, null);
  assert.match(c.vulnerabilityNote!, /no DB/);
  const expect = Math.round(((fat!.uncompressed - slim!.uncompressed) / fat!.uncompressed) * 1000) / 10;
  assert.equal(c.reductions[0]!.uncompressed, expect);
  assert.equal(c.reductions[0]!.packages, 100);
  const md = comparisonMarkdown(c, (n) => `${n} B`);
  assert.match(md, /^\| {2}\| `fat:v1` \| `slim:v1` \|$/m);
  assert.match(md, /^\| shell\? \| yes \(sh\) \| no \|$/m);
  assert.match(md, /^\| runs as root\? \| yes \| no \(user 65532\) \|$/m);
  assert.match(md, /\| total CVEs \| no DB \| no DB \|/);
});

test('a DB whose newest record is older than 7 days is flagged stale in the table, the report page and the JSON', async () => {
  const dir = tempDir();
  const refs = await pair(dir);
  const records = join(dir, 'records');
  mkdirSync(records);
  writeFileSync(join(records, 'GHSA-old.json'), JSON.stringify({ id: 'GHSA-old', modified: '2020-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }] }] }));
  const db = join(dir, 'db');
  await importOsv([records], { dir: db });
  const c = await compareImages(refs, { dbDir: db });
  for (const im of c.images) assert.deepEqual(im.vulnerabilityDb, { dbDate: '2020-01-01T00:00:00Z', stale: true });
  const md = comparisonMarkdown(c, (n) => `${n} B`);
  assert.match(md, /^\| total CVEs \| 0 \(stale DB\) \| 0 \(stale DB\)/m);
  const html = renderReport(c);
  assert.match(html, /<td>0 \(stale DB\)<\/td>/);
});

test('distill compare CLI: table, markdown, json; a bad reference exits 2', async () => {
  const dir = tempDir();
  const refs = await pair(dir);
  const env = { DISTILL_CACHE_DIR: tempDir('distill-cmp-cache-') };
  const t = await runDistill(['compare', ...refs], { env });
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /slim:v1: distroless: no shell, no package manager, non-root \(uid 65532\)/);
  const j = JSON.parse((await runDistill(['compare', ...refs, '--json', '--label', 'before', '--label', 'after'], { env })).stdout);
  assert.deepEqual(j.images.map((i: { label: string }) => i.label), ['before', 'after']);
  assert.equal(j.images[1].distroless, true);
  assert.equal(typeof j.reductions[0].compressed, 'number');
  const bad = await runDistill(['compare', refs[0]!, `oci:${join(dir, 'nope')}:x`], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^distill: oci:.*nope:x: no such directory/);
});
