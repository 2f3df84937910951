/** distill scan end to end on an image built here: SBOM -> OSV ecosystems -> matches -> exit code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { makeImage, tempDir } from '../helpers/images.ts';
import { writeImage } from '../../src/oci/reference.ts';
import { runDistill, ROOT } from '../helpers/cli.ts';

const status = (name: string, version: string, source?: string) =>
  `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${source ? `Source: ${source}\n` : ''}Description: test\n`;

async function fixture(dir: string, opts: { secondLodash?: boolean } = {}) {
  // A second lodash, at another vulnerable version, nested under a dependency (npm does this).
  const nested = opts.secondLodash
    ? [
        { name: 'app/node_modules/old-dep/', type: 'directory' as const },
        { name: 'app/node_modules/old-dep/package.json', content: JSON.stringify({ name: 'old-dep', version: '1.0.0' }) },
        { name: 'app/node_modules/old-dep/node_modules/', type: 'directory' as const },
        { name: 'app/node_modules/old-dep/node_modules/lodash/', type: 'directory' as const },
        { name: 'app/node_modules/old-dep/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.15', license: 'MIT' }) },
      ]
    : [];
  const img = await makeImage(
    [
      [
        { name: 'etc/', type: 'directory' },
        { name: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' },
        { name: 'var/', type: 'directory' },
        { name: 'var/lib/', type: 'directory' },
        { name: 'var/lib/dpkg/', type: 'directory' },
        { name: 'var/lib/dpkg/status.d/', type: 'directory' },
        // advisories name the source package (openssl), the image has the binary (libssl3)
        { name: 'var/lib/dpkg/status.d/libssl3', content: status('libssl3', '3.0.11-1~deb12u1', 'openssl') },
        // exactly the fixed version: not vulnerable
        { name: 'var/lib/dpkg/status.d/curl', content: status('curl', '7.88.1-10+deb12u5') },
        { name: 'app/', type: 'directory' },
        { name: 'app/node_modules/', type: 'directory' },
        { name: 'app/node_modules/lodash/', type: 'directory' },
        { name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) },
        { name: 'app/node_modules/semver/', type: 'directory' },
        { name: 'app/node_modules/semver/package.json', content: JSON.stringify({ name: 'semver', version: '7.5.2' }) },
        ...nested,
      ],
    ],
    { user: '65532' },
  );
  await writeImage(img, `oci:${join(dir, 'img')}:v1`);
  return `oci:${join(dir, 'img')}:v1`;
}

test('scan matches distro packages by source name and npm packages, honours fixed boundaries and --fail-on', async () => {
  const dir = tempDir();
  const cache = tempDir('distill-scan-cache-');
  const env = { DISTILL_CACHE_DIR: cache };
  const imp = await runDistill(['db', 'import', join(ROOT, 'test/fixtures/osv/db')], { env });
  assert.equal(imp.code, 0, imp.stderr);
  const ref = await fixture(dir);
  const r = await runDistill(['scan', ref, '--json', '--fail-on', 'high'], { env });
  assert.equal(r.code, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  const found = j.vulnerabilities.map((v: { id: string; package: { name: string } }) => `${v.id} ${v.package.name}`).sort();
  assert.deepEqual(found, ['DSA-5532-1 libssl3', 'GHSA-35jh-r3h4-6jhm lodash']);
  const lodash = j.vulnerabilities.find((v: { id: string }) => v.id === 'GHSA-35jh-r3h4-6jhm');
  assert.deepEqual(lodash.fixedVersions, ['4.17.21']);
  assert.equal(lodash.severity.level, 'high');

  const sarif = await runDistill(['scan', ref, '--format', 'sarif'], { env });
  assert.equal(sarif.code, 0);
  const log = JSON.parse(sarif.stdout);
  assert.equal(log.version, '2.1.0');
  assert.equal(log.runs[0].results.length, 2);

  const only = await runDistill(['scan', ref, '--json', '--severity', 'critical'], { env });
  assert.equal(JSON.parse(only.stdout).vulnerabilities.length, 0);
});

test('scan without a database says how to get one (exit 2)', async () => {
  const dir = tempDir();
  const ref = await fixture(dir);
  const r = await runDistill(['scan', ref], { env: { DISTILL_CACHE_DIR: tempDir('distill-empty-cache-'), DISTILL_OFFLINE: '1' } });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^distill: .*: no DB \(offline, so nothing was fetched\); run `distill db update` \(or `distill db import DIR\|ZIP` on a host without network\)$/m);
});

test('scan --format cyclonedx: a strict-valid CycloneDX 1.6 BOM whose vulnerabilities affect the scanned components', async () => {
  const dir = tempDir();
  const cache = tempDir('distill-scan-cache-');
  const env = { DISTILL_CACHE_DIR: cache, SOURCE_DATE_EPOCH: '1700000000' };
  assert.equal((await runDistill(['db', 'import', join(ROOT, 'test/fixtures/osv/db')], { env })).code, 0);
  const ref = await fixture(dir, { secondLodash: true });
  const ignore = join(dir, 'ignore.json');
  writeFileSync(ignore, JSON.stringify([{ id: 'DSA-5532-1', reason: 'openssl is not reachable from the app' }]));
  const r = await runDistill(['scan', ref, '--format', 'cyclonedx', '--ignore-file', ignore], { env });
  assert.equal(r.code, 0, r.stderr);
  const errors = await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(r.stdout);
  assert.equal(errors, null, JSON.stringify(errors));
  const bom = JSON.parse(r.stdout);
  assert.equal(bom.metadata.timestamp, '2023-11-14T22:13:20.000Z');
  const refs = new Map<string, string>(bom.components.map((c: { 'bom-ref': string; name: string; version: string }) => [c['bom-ref'], `${c.name}@${c.version}`]));
  const vulns = new Map<string, { affects: { ref: string; versions: { version: string; status: string }[] }[]; ratings: { severity: string }[]; recommendation: string; analysis?: { detail: string } }>(
    bom.vulnerabilities.map((v: { id: string }) => [v.id, v]),
  );
  // GHSA-p6mc-m468-83gw is fixed in lodash 4.17.19: it hits the nested 4.17.15 only.
  assert.deepEqual([...vulns.keys()].sort(), ['DSA-5532-1', 'GHSA-35jh-r3h4-6jhm', 'GHSA-p6mc-m468-83gw']);
  assert.deepEqual(vulns.get('GHSA-p6mc-m468-83gw')!.affects.map((a) => refs.get(a.ref)), ['lodash@4.17.15']);
  const lodash = vulns.get('GHSA-35jh-r3h4-6jhm')!;
  // One advisory, two copies of lodash: each affected component carries its own installed version.
  const affected = lodash.affects.map((a) => [refs.get(a.ref), a.versions]).sort();
  assert.deepEqual(affected, [
    ['lodash@4.17.15', [{ version: '4.17.15', status: 'affected' }]],
    ['lodash@4.17.20', [{ version: '4.17.20', status: 'affected' }]],
  ]);
  assert.equal(lodash.ratings[0]!.severity, 'high');
  assert.match(lodash.recommendation, /4\.17\.21/);
  assert.equal(lodash.analysis, undefined);
  const ssl = vulns.get('DSA-5532-1')!;
  assert.deepEqual(ssl.affects.map((a) => refs.get(a.ref)), ['libssl3@3.0.11-1~deb12u1']);
  assert.match(ssl.analysis!.detail, /openssl is not reachable from the app/);
});
