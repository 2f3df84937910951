/**
 * The OSV source against a loopback export in the real layout: only the asked ecosystems are
 * downloaded, an unchanged source downloads nothing (304, or the same x-goog-hash from a server
 * that ignores conditional requests), a changed ecosystem is the only one fetched again, and every
 * way a download fails leaves the previous DB as it was, with a one-line reason. Also the source's
 * precedence (flag, env, config, default), the refresh threshold and offline mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openOsvDb, readMeta } from '../../src/vuln/db.ts';
import { DEFAULT_OSV_URL, ensureOsvDb, listExportEcosystems, parseGoogHash, resolveOsvSource, updateOsvDb, type OsvSource } from '../../src/vuln/source.ts';
import { loadConfig } from '../../src/util/config.ts';
import { osvRecord, startOsvServer, type OsvFault, type OsvServer } from '../helpers/osv-server.ts';
import { zipBuffer } from './helpers/zip.ts';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `distill-osvsrc-${p}-`));

function src(server: Pick<OsvServer, 'url'>, extra: Partial<OsvSource> = {}): OsvSource {
  return { url: server.url, origin: 'flag', refreshMs: 24 * 3_600_000, offline: false, timeoutMs: 2000, retries: 0, ...extra };
}

const initial = () => ({
  Debian: [osvRecord('DSA-5555-1', 'Debian:12', 'openssl', { fixed: '3.0.13-1~deb12u1', aliases: ['CVE-2024-0001'] }), osvRecord('DEBIAN-CVE-2024-0002', 'Debian:12', 'glibc')],
  npm: [osvRecord('GHSA-aaaa-bbbb-cccc', 'npm', 'lodash', { fixed: '4.17.21', type: 'SEMVER', severity: 'HIGH' })],
  PyPI: [osvRecord('PYSEC-2024-1', 'PyPI', 'jinja2', { fixed: '3.1.4' })],
});

async function ids(dir: string, eco: string, name: string): Promise<string[]> {
  const db = await openOsvDb(dir);
  try {
    return (await db.lookup(eco, name)).map((r) => r.id).sort();
  } finally {
    await db.close();
  }
}

test('first update downloads only the asked ecosystems; a second downloads nothing; a changed one alone is fetched again', async () => {
  const server = await startOsvServer(initial());
  const dir = tmp('db');
  try {
    const first = await updateOsvDb({ source: src(server), dir, ecosystems: ['Debian', 'npm'] });
    assert.deepEqual(server.downloads().sort(), ['Debian', 'npm']);
    assert.equal(first.ecosystems.Debian!.status, 'downloaded');
    assert.equal(first.ecosystems.npm!.records, 1);
    assert.deepEqual(await ids(dir, 'npm', 'lodash'), ['GHSA-aaaa-bbbb-cccc']);
    // `"versions": null` in every served record: accepted, read as empty.
    assert.equal(first.rejectedCount, 0);

    server.requests.length = 0;
    const second = await updateOsvDb({ source: src(server), dir, ecosystems: ['Debian', 'npm'] });
    assert.deepEqual(server.requests.map((r) => r.status), [304, 304]);
    assert.deepEqual(Object.values(second.ecosystems).map((u) => u.status), ['unchanged', 'unchanged']);

    // A mirror that ignores conditional requests: the same x-goog-hash means unchanged, the body is not read.
    server.conditional = false;
    server.requests.length = 0;
    const third = await updateOsvDb({ source: src(server), dir, ecosystems: ['Debian', 'npm'] });
    assert.deepEqual(Object.values(third.ecosystems).map((u) => u.status), ['unchanged', 'unchanged']);
    server.conditional = true;

    server.set('npm', [...initial().npm, osvRecord('GHSA-dddd-eeee-ffff', 'npm', 'lodash', { fixed: '4.17.22' })]);
    server.requests.length = 0;
    const fourth = await updateOsvDb({ source: src(server), dir, ecosystems: ['Debian', 'npm'] });
    assert.deepEqual(server.downloads(), ['npm']);
    assert.equal(fourth.ecosystems.Debian!.status, 'unchanged');
    assert.deepEqual(await ids(dir, 'npm', 'lodash'), ['GHSA-aaaa-bbbb-cccc', 'GHSA-dddd-eeee-ffff']);
    assert.deepEqual(await ids(dir, 'Debian:12', 'openssl'), ['DSA-5555-1'], 'Debian kept as it was');
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [fault, why] of [
  ['truncate', /^http:\/\/127\.0\.0\.1:\d+\/npm\/all\.zip: download (interrupted after|truncated: got) \d+ of \d+ bytes$/],
  ['corrupt-record', /\/npm\/all\.zip: not a readable zip: /],
  ['bad-json', /\/npm\/all\.zip: GHSA-bad0-bad0-bad0\.json: corrupt record, not JSON/],
  ['404', /\/npm\/all\.zip: not found at the source$/],
  ['500', /\/npm\/all\.zip: HTTP 500/],
  ['stall', /\/npm\/all\.zip: download stalled: no data for 300 ms after 16 bytes$/],
  ['kill', /\/npm\/all\.zip: download (interrupted after|truncated: got) \d+ of \d+ bytes$/],
] as [OsvFault, RegExp][]) {
  test(`a ${fault} download leaves the previous DB intact, with a one-line message`, async () => {
    const server = await startOsvServer(initial());
    const dir = tmp(`fault-${fault}`);
    try {
      await updateOsvDb({ source: src(server), dir, ecosystems: ['npm', 'Debian'] });
      const before = readFileSync(join(dir, 'meta.json'), 'utf8');
      server.set('npm', [osvRecord('GHSA-new1-new1-new1', 'npm', 'lodash')]);
      server.fault('npm', fault);
      const r = await updateOsvDb({ source: src(server, { timeoutMs: 300 }), dir, ecosystems: ['npm', 'Debian'] });
      const u = r.ecosystems.npm!;
      assert.ok(u.status === 'failed' || u.status === 'missing', JSON.stringify(u));
      assert.match(u.error!, why);
      assert.equal(u.error!.split('\n').length, 1);
      assert.equal(r.ecosystems.Debian!.status, 'unchanged');
      assert.equal(readFileSync(join(dir, 'meta.json'), 'utf8').replace(/"checkedAt": "[^"]+"/g, ''), before.replace(/"checkedAt": "[^"]+"/g, ''));
      assert.deepEqual(await ids(dir, 'npm', 'lodash'), ['GHSA-aaaa-bbbb-cccc'], 'the old npm data is still served');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('ensureOsvDb fetches what a scan needs, re-checks only after the refresh interval, and is honest when the source is down', async () => {
  const server = await startOsvServer(initial());
  const dir = tmp('ensure');
  try {
    const t0 = new Date();
    const a = await ensureOsvDb(['Debian:12', 'npm', 'npm'], { source: src(server), dir, now: t0 });
    assert.deepEqual(server.downloads().sort(), ['Debian', 'npm'], 'only the ecosystems the packages are in');
    assert.deepEqual(a.warnings, []);
    server.requests.length = 0;
    await ensureOsvDb(['Debian', 'npm'], { source: src(server), dir, now: new Date(t0.getTime() + 3_600_000) });
    assert.equal(server.requests.length, 0, 'fresh: the source is not asked');
    await ensureOsvDb(['Debian', 'npm'], { source: src(server), dir, now: new Date(t0.getTime() + 25 * 3_600_000) });
    assert.deepEqual(server.requests.map((r) => r.status), [304, 304], 'after 24 h: a conditional re-check');

    // Offline: nothing is asked, even for a missing ecosystem.
    server.requests.length = 0;
    const off = await ensureOsvDb(['PyPI'], { source: src(server, { offline: true }), dir });
    assert.equal(server.requests.length, 0);
    assert.deepEqual(off.absent, ['PyPI']);

    // Unreachable: the existing data is used, and one line says so with its age.
    await server.close();
    const down = await ensureOsvDb(['npm', 'PyPI'], { source: src(server, { refreshMs: 0 }), dir });
    assert.equal(down.warnings.length, 1);
    assert.match(down.warnings[0]!, /^cannot update the OSV data from http:\/\/127\.0\.0\.1:\d+ \(.*\); using the existing data for npm \(newest record 2025-02-28, \d+ days old\); no DB for PyPI: their CVEs are not counted; run `distill db update`/);
    assert.deepEqual(await ids(dir, 'npm', 'lodash'), ['GHSA-aaaa-bbbb-cccc']);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--all reads ecosystems.txt (release lines fold into their base); x-goog-hash parsing', async () => {
  const server = await startOsvServer(initial());
  try {
    assert.deepEqual(await listExportEcosystems(src(server)), ['Debian', 'PyPI', 'npm']);
    const dir = tmp('all');
    try {
      const r = await updateOsvDb({ source: src(server), dir, all: true });
      assert.deepEqual(Object.keys(r.ecosystems).sort(), ['Debian', 'PyPI', 'npm']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await server.close();
  }
  assert.deepEqual(parseGoogHash('crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ=='), { crc32c: 'n03x6A==', md5: 'Ojk9c3dhfxgoKVVHYwFbHQ==' });
  assert.deepEqual(parseGoogHash(['crc32c=AAAAAA==', 'md5=BBBB']), { crc32c: 'AAAAAA==', md5: 'BBBB' });
});

test('the source: --from, then DISTILL_OSV_URL, then the config file, then the public export; offline from any', () => {
  const cfgDir = tmp('cfg');
  try {
    const cfgPath = join(cfgDir, 'config.yaml');
    writeFileSync(cfgPath, 'osv:\n  url: https://mirror.example.test/osv/\n  refresh: 12h\n');
    const cfg = loadConfig(cfgPath);
    assert.equal(resolveOsvSource({ from: 'http://127.0.0.1:1/x/' }, { DISTILL_OSV_URL: 'http://127.0.0.1:2' }, cfg).url, 'http://127.0.0.1:1/x');
    const env = resolveOsvSource({}, { DISTILL_OSV_URL: 'http://127.0.0.1:2/' }, cfg);
    assert.deepEqual([env.url, env.origin], ['http://127.0.0.1:2', 'env']);
    const fromCfg = resolveOsvSource({}, {}, cfg);
    assert.deepEqual([fromCfg.url, fromCfg.origin, fromCfg.refreshMs], ['https://mirror.example.test/osv', 'config', 12 * 3_600_000]);
    const def = resolveOsvSource({}, {}, loadConfig(join(cfgDir, 'absent.yaml')));
    assert.deepEqual([def.url + '/', def.origin, def.offline], [DEFAULT_OSV_URL, 'default', false]);
    assert.equal(resolveOsvSource({}, { DISTILL_OFFLINE: '1' }, cfg).offline, true);
    assert.equal(resolveOsvSource({ offline: true }, {}, cfg).offline, true);
    // A directory is a file:// mirror; other schemes are refused.
    assert.equal(resolveOsvSource({ from: cfgDir }, {}, cfg).url, pathToFileURL(cfgDir).href);
    assert.throws(() => resolveOsvSource({ from: 'ftp://x' }, {}, cfg), /expected an http\(s\):\/\/ or file:\/\/ URL/);
    writeFileSync(cfgPath, 'osv:\n  ulr: typo\n');
    assert.throws(() => loadConfig(cfgPath), /invalid config at osv: .*ulr/i);
  } finally {
    rmSync(cfgDir, { recursive: true, force: true });
  }
});

test('db update refuses the network offline, but reads a file:// mirror', async () => {
  const mirror = tmp('mirror');
  const dir = tmp('mirror-db');
  try {
    mkdirSync(join(mirror, 'npm'));
    writeFileSync(join(mirror, 'npm', 'all.zip'), zipBuffer(initial().npm.map((r, i) => [`r${i}.json`, JSON.stringify(r)])));
    await assert.rejects(updateOsvDb({ source: src({ url: 'http://127.0.0.1:9' }, { offline: true }), dir, ecosystems: ['npm'] }), /offline/);
    const source = src({ url: pathToFileURL(mirror).href }, { offline: true });
    assert.equal((await updateOsvDb({ source, dir, ecosystems: ['npm'] })).ecosystems.npm!.status, 'downloaded');
    assert.equal((await updateOsvDb({ source, dir, ecosystems: ['npm'] })).ecosystems.npm!.status, 'unchanged');
    assert.equal((await readMeta(dir))!.ecosystems.npm!.fetched!.url, `${pathToFileURL(mirror).href}/npm/all.zip`);
  } finally {
    rmSync(mirror, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
