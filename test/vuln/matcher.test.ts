/**
 * OSV matching: the test DB (records written from real advisories) against fixture images'
 * package lists must give exactly the expected findings, including the boundaries users rely on:
 * installed == fixed is not vulnerable, installed == introduced is, last_affected is inclusive,
 * withdrawn records are ignored, and a distro release never matches another release's records.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOsv, openOsvDb, type OsvDb } from '../../src/vuln/db.ts';
import { inRange, matchPackages, matchPackagesDetailed, matchRecord, osvEcosystemForDistro, dedupeAliases, type Vuln } from '../../src/vuln/matcher.ts';
import type { OsvRecord } from '../../src/vuln/osv.ts';
import { schemeFor } from '../../src/vuln/versions/index.ts';
import { OSV_DB_FIXTURE, fixtureImage } from './helpers/fixtures.ts';

let dir: string;
let db: OsvDb;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'distill-osv-match-'));
  await importOsv([OSV_DB_FIXTURE], { dir });
  db = await openOsvDb(dir);
});

after(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `name@version` → sorted ids, for every package with at least one finding. */
function byPackage(vulns: Vuln[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of vulns) (out[`${v.package.name}@${v.package.version}`] ??= []).push(v.id);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

async function scanImage(name: string): Promise<Vuln[]> {
  return matchPackages(fixtureImage(name), db);
}

test('Debian 12 image: DSA and DEBIAN-CVE records by source package, epochs and ~ respected', async () => {
  const vulns = await scanImage('debian-bookworm-old');
  assert.deepEqual(byPackage(vulns), {
    'libc6@2.36-9+deb12u1': ['DSA-5514-1', 'DSA-5611-1'],
    'libc-bin@2.36-9+deb12u1': ['DSA-5514-1', 'DSA-5611-1'],
    'libssl3@3.0.9-1': ['DSA-5532-1'], // Debian:11's DSA-5139-1 for openssl must not match
    'curl@7.88.1-10+deb12u4': ['DSA-5587-1'],
    'libcurl4@7.88.1-10+deb12u4': ['DSA-5587-1'],
    'openssh-client@1:9.2p1-2+deb12u2': ['DSA-5724-1'],
    'tar@1.34+dfsg-1.2': ['DEBIAN-CVE-2005-2541'],
    // zlib1g 1:1.2.13 is above the fix 1:1.2.11.dfsg-4.1 (epoch); libxml2 is exactly the fix.
  });
  const ssh = vulns.find((v) => v.id === 'DSA-5724-1')!;
  assert.deepEqual(ssh.fixedVersions, ['1:9.2p1-2+deb12u3']);
  assert.deepEqual(ssh.cves, ['CVE-2024-6387']);
  assert.equal(ssh.package.source, 'openssh');
  const tar = vulns.find((v) => v.id === 'DEBIAN-CVE-2005-2541')!;
  assert.deepEqual(tar.fixedVersions, [], 'no fix exists');
  assert.deepEqual(tar.severity, { level: 'low', source: 'debian-urgency' });
});

test('Debian 12 image at exactly the fixed versions: only the unfixed tar issue remains', async () => {
  assert.deepEqual(byPackage(await scanImage('debian-bookworm-patched')), { 'tar@1.34+dfsg-1.2': ['DEBIAN-CVE-2005-2541'] });
});

test('Debian 11 image matches Debian:11 records only', async () => {
  assert.deepEqual(byPackage(await scanImage('debian-bullseye')), { 'libssl1.1@1.1.1n-0+deb11u1': ['DSA-5139-1'] });
});

test('Alpine images: origin package names and per-release records', async () => {
  assert.deepEqual(byPackage(await scanImage('alpine-3.19')), {
    'busybox@1.36.1-r15': ['ALPINE-CVE-2023-42363'],
    'ssl_client@1.36.1-r15': ['ALPINE-CVE-2023-42363'],
    // openssl records exist for v3.18 and v3.20 only; musl's for v3.21 only.
  });
  assert.deepEqual(byPackage(await scanImage('alpine-3.18')), {
    'libssl3@3.1.3-r0': ['ALPINE-CVE-2023-5363'],
    // libcrypto3 3.1.4-r0 is exactly the fix; busybox's record is for v3.19.
  });
});

test('node_modules: multiple ranges, introduced boundary, last_affected inclusive', async () => {
  const vulns = await scanImage('node-app');
  assert.deepEqual(byPackage(vulns), {
    'lodash@4.17.20': ['GHSA-35jh-r3h4-6jhm'],
    'lodash@4.17.15': ['GHSA-35jh-r3h4-6jhm', 'GHSA-p6mc-m468-83gw'],
    'semver@7.5.1': ['GHSA-c2qf-rxjj-qqgw'],
    'semver@5.7.1': ['GHSA-c2qf-rxjj-qqgw'], // 6.3.1 is exactly the 6.x fix
    'minimist@1.2.5': ['GHSA-xvch-5gv4-984h'],
    'minimist@0.0.8': ['GHSA-vh95-rmgr-6w4m', 'GHSA-xvch-5gv4-984h'],
    'express@4.18.2': ['GHSA-qw6h-vgh9-j6wx', 'GHSA-rv95-896h-c2vc'], // 5.0.0 is past both 5.x ranges
    'ws@7.4.5': ['GHSA-3h5v-q93c-6h6q', 'GHSA-6h5x-7c5m-7cr7'],
    'ws@2.1.0': ['GHSA-3h5v-q93c-6h6q'], // == introduced; 2.0.0 is below it; 8.17.1 == fixed
    'request@2.88.2': ['GHSA-p8p7-x288-28g6'], // == last_affected
  });
  const semver5 = vulns.find((v) => v.package.version === '5.7.1')!;
  assert.deepEqual(semver5.fixedVersions, ['5.7.2']);
  const lodashOld = vulns.filter((v) => v.package.version === '4.17.15');
  assert.deepEqual(lodashOld.find((v) => v.id === 'GHSA-p6mc-m468-83gw')!.fixedVersions, ['4.17.19']);
  assert.deepEqual(vulns.find((v) => v.id === 'GHSA-p8p7-x288-28g6')!.fixedVersions, []);
  const lodash = vulns.find((v) => v.id === 'GHSA-35jh-r3h4-6jhm')!;
  assert.deepEqual(lodash.severity, { level: 'high', score: 7.2, vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', source: 'advisory' });
  assert.deepEqual(lodash.cves, ['CVE-2021-23337']);
});

test('Python site-packages: PEP 503 names (Jinja2 = jinja2), PEP 440 boundaries', async () => {
  assert.deepEqual(byPackage(await scanImage('python-app')), {
    'requests@2.31.0': ['GHSA-9wx4-h78v-vm56'], // == fix of GHSA-j8r2-6x86-q33q
    'urllib3@1.26.18': ['GHSA-34jh-p97f-mpxf'],
    'Jinja2@3.1.2': ['GHSA-h5c8-rqwp-cp95', 'GHSA-h75v-3vvj-5mfj'],
    'PyYAML@5.3.1': ['GHSA-8q59-q68h-6hv4'],
  });
});

test('Go binary: stdlib from the go version, module versions with v prefix', async () => {
  const vulns = await scanImage('go-binary');
  assert.deepEqual(byPackage(vulns), {
    'stdlib@go1.21.1': ['GO-2023-2102', 'GO-2024-2687'],
    'golang.org/x/net@v0.17.0': ['GO-2024-2687'],
    'golang.org/x/text@v0.3.7': ['GO-2022-1059'],
    'golang.org/x/text@v0.3.6': ['GO-2021-0113', 'GO-2022-1059'],
  });
  assert.deepEqual(vulns.find((v) => v.id === 'GO-2023-2102' && v.package.name === 'stdlib')!.fixedVersions, ['1.21.3']);
});

test('Java: Maven coordinates, qualifiers (2.0-beta9, .RELEASE) at the boundaries', async () => {
  const vulns = await scanImage('java-app');
  assert.deepEqual(byPackage(vulns), {
    'org.apache.logging.log4j:log4j-core@2.14.1': ['GHSA-7rjr-3q55-vv33', 'GHSA-jfh8-c2jp-5v3q'],
    'org.apache.logging.log4j:log4j-core@2.0-beta9': ['GHSA-7rjr-3q55-vv33', 'GHSA-jfh8-c2jp-5v3q'],
    'com.fasterxml.jackson.core:jackson-databind@2.13.2.1': ['GHSA-jjjh-jjxp-wpff'],
    'org.springframework:spring-beans@5.3.17': ['GHSA-36p3-wjmg-h94x'],
  });
  const log4shell = vulns.find((v) => v.id === 'GHSA-jfh8-c2jp-5v3q' && v.package.version === '2.14.1')!;
  assert.deepEqual(log4shell.fixedVersions, ['2.15.0']);
  assert.equal(log4shell.severity.level, 'critical');
  assert.equal(log4shell.severity.score, 10);
});

test('withdrawn records are ignored', async () => {
  const [rec] = await db.lookup('npm', 'lodash');
  const live = { ...rec!, id: 'GHSA-test-live' } as OsvRecord;
  const withdrawn = { ...rec!, id: 'GHSA-test-gone', withdrawn: '2024-01-01T00:00:00Z' } as OsvRecord;
  const pkg = { name: 'lodash', version: '4.17.15', ecosystem: 'npm' };
  assert.ok(matchRecord(pkg, 'npm', live));
  assert.equal(matchRecord(pkg, 'npm', withdrawn), undefined);
});

test('range walk: unsorted events, several introduced/fixed pairs, limit, explicit versions', () => {
  const npm = schemeFor('npm')!;
  const range = { type: 'SEMVER', events: [{ fixed: '2.0.0' }, { introduced: '3.0.0' }, { introduced: '1.0.0' }, { fixed: '3.5.0' }] };
  const cases: [string, boolean][] = [
    ['0.9.0', false],
    ['1.0.0', true],
    ['1.9.9', true],
    ['2.0.0', false],
    ['2.5.0', false],
    ['3.0.0', true],
    ['3.4.9', true],
    ['3.5.0', false],
  ];
  for (const [v, want] of cases) assert.equal(inRange(v, range, npm), want, v);
  const limited = { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { limit: '1.5.0' }] };
  assert.equal(inRange('1.4.0', limited, npm), true);
  assert.equal(inRange('1.5.0', limited, npm), false);
  const lastAffected = { type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { last_affected: '1.2.0' }] };
  assert.equal(inRange('1.2.0', lastAffected, npm), true);
  assert.equal(inRange('1.2.1', lastAffected, npm), false);
  const git = { type: 'GIT', events: [{ introduced: '0' }] };
  assert.equal(inRange('1.0.0', git, npm), true, 'inRange itself is type-agnostic; GIT ranges are skipped by affectedBy');
  const rec: OsvRecord = {
    id: 'TEST-1',
    modified: '2024-01-01T00:00:00Z',
    aliases: [],
    affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'GIT', events: [{ introduced: '0' }] }], versions: ['1.0.0'] }],
  };
  assert.ok(matchRecord({ name: 'x', version: '1.0.0', ecosystem: 'npm' }, 'npm', rec), 'explicit versions list');
  assert.equal(matchRecord({ name: 'x', version: '1.0.1', ecosystem: 'npm' }, 'npm', rec), undefined, 'GIT range skipped');
});

test('distro ecosystems from os-release; unknown releases are reported, not guessed', async () => {
  assert.equal(osvEcosystemForDistro({ id: 'debian', versionId: '12' }), 'Debian:12');
  assert.equal(osvEcosystemForDistro({ id: 'alpine', versionId: '3.19.1' }), 'Alpine:v3.19');
  assert.equal(osvEcosystemForDistro({ id: 'ubuntu', versionId: '22.04' }), 'Ubuntu:22.04:LTS');
  assert.equal(osvEcosystemForDistro({ id: 'rocky', versionId: '9.3' }), 'Rocky Linux:9');
  assert.equal(osvEcosystemForDistro({ id: 'debian' }), undefined);
  const r = await matchPackagesDetailed(
    [
      { name: 'tar', version: '1.34+dfsg-1.2', ecosystem: 'Debian', distro: { id: 'debian' } },
      { name: 'x', version: '1.0', ecosystem: 'NoSuchEcosystem' },
      { name: 'lodash', version: 'not-a-version', ecosystem: 'npm' },
    ],
    db,
  );
  assert.deepEqual(r.vulns, []);
  assert.deepEqual(
    r.skipped.map((s) => s.package.name),
    ['tar', 'x', 'lodash'],
  );
});

test('records that are the same vulnerability (aliases, shared CVE) are reported once, keeping the most specific id', () => {
  const base = {
    package: { name: 'p', version: '1', ecosystem: 'PyPI' },
    installedVersion: '1',
    severity: { level: 'unknown' as const, source: 'none' as const },
    summary: '',
    modified: '2024-01-01T00:00:00Z',
  };
  const out = dedupeAliases([
    { ...base, id: 'PYSEC-2023-1', aliases: ['CVE-2023-1', 'GHSA-aaaa-bbbb-cccc'], cves: ['CVE-2023-1'], fixedVersions: ['2'] },
    { ...base, id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2023-1'], cves: ['CVE-2023-1'], fixedVersions: ['2'] },
    { ...base, id: 'GHSA-zzzz-zzzz-zzzz', aliases: ['CVE-2023-2'], cves: ['CVE-2023-2'], fixedVersions: [] },
  ]);
  assert.deepEqual(
    out.map((v) => [v.id, v.aliases]),
    [
      ['GHSA-aaaa-bbbb-cccc', ['CVE-2023-1', 'PYSEC-2023-1']],
      ['GHSA-zzzz-zzzz-zzzz', ['CVE-2023-2']],
    ],
  );
  // A DSA and the per-CVE record of one of its CVEs: one finding under the DSA, the CVE record's
  // urgency kept because the DSA has no rating of its own.
  const deb = { ...base, package: { name: 'libc6', version: '2.36-9', ecosystem: 'Debian:12' }, installedVersion: '2.36-9' };
  const merged = dedupeAliases([
    { ...deb, id: 'DEBIAN-CVE-2023-11', aliases: [], cves: ['CVE-2023-11'], fixedVersions: ['2.36-9+deb12u3'], severity: { level: 'high', source: 'debian-urgency' } },
    { ...deb, id: 'DSA-9999-1', aliases: [], cves: ['CVE-2023-11', 'CVE-2023-12'], fixedVersions: ['2.36-9+deb12u3'] },
    { ...deb, id: 'DEBIAN-CVE-2023-13', aliases: [], cves: ['CVE-2023-13'], fixedVersions: [] },
  ]);
  assert.deepEqual(
    merged.map((v) => [v.id, v.aliases, v.cves, v.severity.level]),
    [
      ['DSA-9999-1', ['DEBIAN-CVE-2023-11'], ['CVE-2023-11', 'CVE-2023-12'], 'high'],
      ['DEBIAN-CVE-2023-13', [], ['CVE-2023-13'], 'unknown'],
    ],
  );
});
