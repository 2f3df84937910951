/**
 * The OSV source as a user meets it through the CLI: `scan` on an empty cache fetches the
 * ecosystems the image holds from DISTILL_OSV_URL and matches; offline it fetches nothing and says
 * `no DB`; `db update` downloads, then downloads nothing; `db status` without a DB answers on stdout.
 * The child processes carry the network guard too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeImage, tempDir } from '../helpers/images.ts';
import { writeImage } from '../../src/oci/reference.ts';
import { runDistill } from '../helpers/cli.ts';
import { GUARD_NODE_OPTIONS } from '../helpers/network-guard.mjs';
import { osvRecord, startOsvServer } from '../helpers/osv-server.ts';

const status = (name: string, version: string, source?: string) =>
  `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${source ? `Source: ${source}\n` : ''}Description: test\n`;

/** A Debian 12 image with libssl3 (source openssl) and lodash, both at versions our records affect. */
async function image(dir: string): Promise<string> {
  const img = await makeImage([
    [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' },
      { name: 'var/', type: 'directory' },
      { name: 'var/lib/', type: 'directory' },
      { name: 'var/lib/dpkg/', type: 'directory' },
      { name: 'var/lib/dpkg/status.d/', type: 'directory' },
      { name: 'var/lib/dpkg/status.d/libssl3', content: status('libssl3', '3.0.11-1~deb12u1', 'openssl') },
      { name: 'app/', type: 'directory' },
      { name: 'app/node_modules/', type: 'directory' },
      { name: 'app/node_modules/lodash/', type: 'directory' },
      { name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20' }) },
    ],
  ]);
  await writeImage(img, `oci:${join(dir, 'img')}:v1`);
  return `oci:${join(dir, 'img')}:v1`;
}

const records = () => ({
  // Two records of one flaw (the DSA and its CVE's DEBIAN-CVE record) count once.
  Debian: [
    osvRecord('DSA-5555-1', 'Debian:12', 'openssl', { fixed: '3.0.13-1~deb12u1', aliases: ['CVE-2024-0001'] }),
    osvRecord('DEBIAN-CVE-2024-0001', 'Debian:12', 'openssl', { fixed: '3.0.13-1~deb12u1', aliases: [] }),
    // Unfixed in Debian (no `fixed` event): counted, as Trivy counts affected / will_not_fix.
    osvRecord('DEBIAN-CVE-2024-0009', 'Debian:12', 'openssl'),
  ],
  npm: [osvRecord('GHSA-aaaa-bbbb-cccc', 'npm', 'lodash', { fixed: '4.17.21', type: 'SEMVER', severity: 'CRITICAL' })],
  PyPI: [osvRecord('PYSEC-2024-1', 'PyPI', 'jinja2', { fixed: '3.1.4' })],
});

test('scan on an empty cache fetches the ecosystems the image holds, then matches; --offline says no DB', async () => {
  const server = await startOsvServer(records());
  try {
    const dir = tempDir();
    const ref = await image(dir);
    const env = { DISTILL_CACHE_DIR: tempDir('distill-osvcli-'), DISTILL_OSV_URL: server.url, DISTILL_OFFLINE: '', NODE_OPTIONS: GUARD_NODE_OPTIONS };
    const off = await runDistill(['scan', ref, '--offline'], { env });
    assert.equal(server.requests.length, 0, 'offline: nothing asked');
    assert.equal(off.code, 2);
    assert.match(off.stderr, /no DB \(offline, so nothing was fetched\); run `distill db update`/);

    const r = await runDistill(['scan', ref, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.downloads().sort(), ['Debian', 'npm'], 'PyPI is not in the image, so not fetched');
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.vulnerabilities.map((v: { id: string }) => v.id).sort(), ['DEBIAN-CVE-2024-0009', 'DSA-5555-1', 'GHSA-aaaa-bbbb-cccc']);
    assert.deepEqual(j.totals, { total: 3, fixed: 2, unfixed: 1 });
    assert.equal(j.counts.critical, 1);
    assert.equal(j.db.stale, true, 'records of 2025-02-28 are older than 7 days');

    const ignore = JSON.parse((await runDistill(['scan', ref, '--json', '--ignore-unfixed'], { env })).stdout);
    assert.deepEqual(ignore.totals, { total: 2, fixed: 2, unfixed: 0 });

    // The DB now exists: offline uses it as it is.
    const offAgain = await runDistill(['scan', ref, '--offline', '--json'], { env });
    assert.equal(offAgain.code, 0, offAgain.stderr);
    assert.equal(JSON.parse(offAgain.stdout).totals.total, 3);
  } finally {
    await server.close();
  }
});

test('db update with no flags uses the configured source; again, it downloads nothing; status without a DB answers on stdout', async () => {
  const server = await startOsvServer(records());
  try {
    const cache = tempDir('distill-osvcli-db-');
    const env = { DISTILL_CACHE_DIR: cache, DISTILL_OSV_URL: server.url, DISTILL_OFFLINE: '', NODE_OPTIONS: GUARD_NODE_OPTIONS };
    const none = await runDistill(['db', 'status'], { env });
    assert.equal(none.code, 0);
    assert.match(none.stdout, /^no vulnerability database in .*: run `distill db update`/);
    const noneJson = JSON.parse((await runDistill(['db', 'status', '--json'], { env })).stdout);
    assert.deepEqual([noneJson.present, noneJson.command], [false, 'distill db update']);

    const first = await runDistill(['db', 'update', '--ecosystem', 'Debian,npm'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /npm +updated: 1 records/);
    const second = await runDistill(['db', 'update', '--json'], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout).ecosystems, { Debian: { status: 'unchanged' }, npm: { status: 'unchanged' } });
    assert.deepEqual(server.downloads().sort(), ['Debian', 'npm']);

    server.fault('npm', '500');
    server.set('npm', [osvRecord('GHSA-zzzz-zzzz-zzzz', 'npm', 'lodash')]);
    const failed = await runDistill(['db', 'update', '--ecosystem', 'npm'], { env: { ...env } });
    assert.equal(failed.code, 2);
    assert.deepEqual(failed.stderr.trim().split('\n'), [`distill: ${server.url}/npm/all.zip: HTTP 500 Internal Server Error`]);
    const st = JSON.parse((await runDistill(['db', 'status', '--json'], { env })).stdout);
    assert.equal(st.ecosystems.npm.records, 1, 'the previous npm data is kept');

    const bad = await runDistill(['db', 'update', '--ecosystem', 'NotAnEcosystem'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^distill: --ecosystem NotAnEcosystem: not an OSV ecosystem/);
  } finally {
    await server.close();
  }
});

test('compare fetches what both images need and shows critical and total CVE rows; no DB offline', async () => {
  const server = await startOsvServer(records());
  try {
    const dir = tempDir();
    const fat = await image(dir);
    const slimImg = await makeImage([
      [
        { name: 'app/', type: 'directory' },
        { name: 'app/node_modules/', type: 'directory' },
        { name: 'app/node_modules/lodash/', type: 'directory' },
        { name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20' }) },
      ],
    ]);
    await writeImage(slimImg, `oci:${join(dir, 'slim')}:v1`);
    const slim = `oci:${join(dir, 'slim')}:v1`;
    const env = { DISTILL_CACHE_DIR: tempDir('distill-osvcli-cmp-'), DISTILL_OSV_URL: server.url, DISTILL_OFFLINE: '', NODE_OPTIONS: GUARD_NODE_OPTIONS };
    const off = await runDistill(['compare', fat, slim, '--offline', '--format', 'markdown'], { env });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /^\| critical CVEs \| no DB \| no DB \|$/m);
    assert.match(off.stdout, /CVEs not counted: no DB \(offline, so nothing was fetched\); run `distill db update`/);
    assert.equal(server.requests.length, 0);

    const md = await runDistill(['compare', fat, slim, '--format', 'markdown'], { env });
    assert.equal(md.code, 0, md.stderr);
    assert.deepEqual(server.downloads().sort(), ['Debian', 'npm']);
    assert.match(md.stdout, /^\| critical CVEs \| 1 \(stale DB\) \| 1 \(stale DB\) \|$/m);
    assert.match(md.stdout, /^\| total CVEs \| 3 \(stale DB\) \| 1 \(stale DB\) \(-66\.7%\) \|$/m);
    const j = JSON.parse((await runDistill(['compare', fat, slim, '--json'], { env })).stdout);
    assert.deepEqual(j.images.map((i: { vulnerabilities: { total: number; unfixed: number } }) => [i.vulnerabilities.total, i.vulnerabilities.unfixed]), [[3, 1], [1, 0]]);
    assert.equal(j.images[0].vulnerabilityDb.stale, true);
  } finally {
    await server.close();
  }
});
