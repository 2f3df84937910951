/** SBOM of images: packages come from the final filesystem after whiteouts and overwrites. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sbomFromImage } from '../../src/analyze/sbom.ts';
import { writeImage } from '../../src/oci/reference.ts';
import { makeImage, tempDir } from '../helpers/images.ts';
import { runDistill } from '../helpers/cli.ts';
import { assertValidCycloneDx, assertValidSpdx } from '../report/schemas.ts';

const pj = (name: string, version: string) => JSON.stringify({ name, version });

async function layeredImage() {
  return makeImage([
    [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { name: 'var/lib/dpkg/status', content: 'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n\nPackage: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u5\n' },
      { name: 'app/node_modules/kept/package.json', content: pj('kept', '1.0.0') },
      { name: 'app/node_modules/gone/package.json', content: pj('gone', '2.0.0') },
      { name: 'app/node_modules/replaced/package.json', content: pj('replaced', '1.0.0') },
      { name: 'usr/lib/python3/site-packages/old-1.0.dist-info/METADATA', content: 'Name: old\nVersion: 1.0\n' },
      { name: 'opt/tool/package.json', content: pj('not-in-node-modules', '1.0.0') },
    ],
    [
      // apt-get remove curl rewrites the status file in a later layer.
      { name: 'var/lib/dpkg/status', content: 'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b7\n\nPackage: curl\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u5\n' },
      { name: 'app/node_modules/.wh.gone', content: '' },
      { name: 'app/node_modules/replaced/package.json', content: pj('replaced', '1.1.0') },
      { name: 'usr/lib/python3/site-packages/.wh..wh..opq', content: '' },
      { name: 'usr/lib/python3/site-packages/new-2.0.dist-info/METADATA', content: 'Name: new\nVersion: 2.0\n' },
    ],
  ]);
}

test('image: later layers delete (whiteout, opaque dir) and replace package files', async () => {
  const s = await sbomFromImage(await layeredImage(), 'test-image');
  assert.deepEqual(
    s.packages.map((p) => `${p.type}:${p.name}@${p.version}`),
    ['deb:bash@5.2.15-2+b7', 'npm:kept@1.0.0', 'npm:not-in-node-modules@1.0.0', 'npm:replaced@1.1.0', 'pypi:new@2.0'],
  );
  assert.deepEqual(s.distro, { id: 'debian', versionId: '12' });
  assert.equal(s.source.type, 'image');
  assert.match(s.source.digest!, /^sha256:[0-9a-f]{64}$/);
  assert.equal(s.packages[0]!.purl, 'pkg:deb/debian/bash@5.2.15-2+b7?arch=amd64&distro=debian-12');
});

test('image: a directory whited out removes packages below it; a file replacing a directory too', async () => {
  const img = await makeImage([
    [
      { name: 'srv/a/node_modules/x/package.json', content: pj('x', '1.0.0') },
      { name: 'srv/b/node_modules/y/package.json', content: pj('y', '1.0.0') },
    ],
    [
      { name: 'srv/.wh.a', content: '' },
      { name: 'srv/b/node_modules', content: 'now a file' },
    ],
  ]);
  const s = await sbomFromImage(img, 'x');
  assert.deepEqual(s.packages, []);
  assert.equal(s.distro, undefined);
});

test('cli: distill sbom on an oci-archive: table, --json, cyclonedx and spdx to -o files', async () => {
  const dir = tempDir('distill-sbom-cli-');
  const tar = join(dir, 'img.tar');
  await writeImage(await layeredImage(), `oci-archive:${tar}`);
  const ref = `oci-archive:${tar}`;

  const table = await runDistill(['sbom', ref]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /bash\s.*5\.2\.15-2\+b7\s.*deb/);
  assert.match(table.stdout, /5 packages \(deb 1, npm 3, pypi 1\); OS: debian 12/);

  const json = await runDistill(['sbom', ref, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const j = JSON.parse(json.stdout) as { schemaVersion: number; packages: { name: string; locations: string[] }[]; distro: { id: string } };
  assert.equal(j.schemaVersion, 1);
  assert.equal(j.distro.id, 'debian');
  assert.deepEqual(j.packages.map((p) => p.name), ['bash', 'kept', 'not-in-node-modules', 'replaced', 'new']);
  assert.deepEqual(j.packages[1]!.locations, ['/app/node_modules/kept/package.json']);

  const cdx = await runDistill(['sbom', ref, '--format', 'cyclonedx', '-o', join(dir, 'bom.json')]);
  assert.equal(cdx.code, 0, cdx.stderr);
  assert.equal(cdx.stdout, '');
  const bom = JSON.parse(readFileSync(join(dir, 'bom.json'), 'utf8')) as { specVersion: string; components: { purl?: string }[] };
  assert.equal(bom.specVersion, '1.6');
  assert.ok(bom.components.some((c) => c.purl === 'pkg:npm/kept@1.0.0'));
  await assertValidCycloneDx(readFileSync(join(dir, 'bom.json'), 'utf8'));

  const spdx = await runDistill(['sbom', ref, '--format', 'spdx', '-o', join(dir, 'sbom.spdx.json'), '-q']);
  assert.equal(spdx.code, 0, spdx.stderr);
  assert.equal(spdx.stderr, '');
  assert.equal((JSON.parse(readFileSync(join(dir, 'sbom.spdx.json'), 'utf8')) as { spdxVersion: string }).spdxVersion, 'SPDX-2.3');
  assertValidSpdx(readFileSync(join(dir, 'sbom.spdx.json'), 'utf8'));

  const bad = await runDistill(['sbom', `oci-archive:${join(dir, 'missing.tar')}`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^distill: .*missing\.tar/m);
});

test('cli: the JSON of a large dpkg database arrives whole through a pipe and matches dpkg-query', async () => {
  const root = tempDir('distill-sbom-dpkg-');
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  copyFileSync('/var/lib/dpkg/status', join(root, 'var/lib/dpkg/status'));
  const r = await runDistill(['sbom', `dir:${root}`, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.length > 150_000, `only ${r.stdout.length} bytes`);
  const ours = (JSON.parse(r.stdout) as { packages: { name: string; version: string }[] }).packages.map((p) => `${p.name}@${p.version}`).sort();
  // dpkg itself, reading the same database, is the oracle for which packages are present.
  const theirs = execFileSync('dpkg-query', [`--admindir=${join(root, 'var/lib/dpkg')}`, '-W', '-f', '${Package}@${Version} ${db:Status-Want} ${db:Status-Status}\\n'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([, want, state]) => (want === 'install' || want === 'hold') && ['installed', 'half-configured', 'unpacked', 'triggers-awaited', 'triggers-pending'].includes(state!))
    .map(([id]) => id!)
    .sort();
  assert.ok(theirs.length > 100);
  assert.deepEqual(ours, theirs);
});
