/**
 * The OSV database: import from the export layout (`<Ecosystem>/all.zip`), single zips and JSON
 * directories; update from a base URL served locally; status, staleness, per-ecosystem
 * replacement; clear errors for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { dbStatus, importOsv, openOsvDb } from '../../src/vuln/db.ts';
import { resolveOsvSource, updateOsvDb } from '../../src/vuln/source.ts';
import { DistillError } from '../../src/util/errors.ts';
import { OSV_DB_FIXTURE, buildOsvExport, fixtureEcosystems } from './helpers/fixtures.ts';
import { writeZip } from './helpers/zip.ts';

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `distill-osv-${prefix}-`));
}

function fixtureCount(eco: string): number {
  return readdirSync(join(OSV_DB_FIXTURE, eco)).filter((f) => f.endsWith('.json')).length;
}

test('import of the OSV export layout (<Ecosystem>/all.zip) indexes every record by ecosystem', async () => {
  const src = tmp('export');
  const dir = tmp('db');
  try {
    buildOsvExport(src);
    const s = await importOsv([src], { dir });
    for (const eco of fixtureEcosystems()) assert.equal(s.ecosystems[eco]?.records, fixtureCount(eco), eco);
    assert.equal(s.rejectedCount, 0);
    assert.equal(s.dbDate, '2025-03-01T00:00:00Z', 'newest modified of all records');
    const db = await openOsvDb(dir);
    try {
      const lodash = await db.lookup('npm', 'lodash');
      assert.deepEqual(lodash.map((r) => r.id).sort(), ['GHSA-35jh-r3h4-6jhm', 'GHSA-p6mc-m468-83gw']);
      // One record, two packages (x/net and stdlib): found under both names.
      assert.ok((await db.lookup('Go', 'stdlib')).some((r) => r.id === 'GO-2023-2102'));
      assert.ok((await db.lookup('Go', 'golang.org/x/net')).some((r) => r.id === 'GO-2023-2102'));
      // Release suffixes share the base ecosystem's files.
      assert.equal((await db.lookup('Debian:12', 'glibc')).length, 2);
      assert.deepEqual(await db.lookup('npm', 'no-such-package'), []);
      assert.deepEqual(await db.lookup('crates.io', 'serde'), []);
      // PEP 503: Jinja2, jinja2 and jinja_2-style spellings are one package.
      assert.equal((await db.lookup('PyPI', 'Jinja2')).length, 2);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a single zip and a directory of JSON give the same database', async () => {
  const src = tmp('zip');
  const a = tmp('db-a');
  const b = tmp('db-b');
  try {
    buildOsvExport(src);
    await importOsv([join(src, 'npm', 'all.zip')], { dir: a });
    await importOsv([join(OSV_DB_FIXTURE, 'npm')], { dir: b });
    const sa = await dbStatus(a);
    const sb = await dbStatus(b);
    assert.deepEqual(sa.ecosystems.npm!.records, sb.ecosystems.npm!.records);
    assert.deepEqual(Object.keys(sa.ecosystems), ['npm']);
    // Entries that are not JSON (a README, directories) are skipped, an array of records is accepted.
    const mixed = join(src, 'mixed.zip');
    const recs = ['GHSA-35jh-r3h4-6jhm', 'GHSA-c2qf-rxjj-qqgw'].map((id) => JSON.parse(readFileSync(join(OSV_DB_FIXTURE, 'npm', `${id}.json`), 'utf8')));
    writeZip(mixed, [['README.txt', 'not a record'], ['nested/', ''], ['nested/both.json', JSON.stringify(recs)]]);
    const c = tmp('db-c');
    try {
      const s = await importOsv([mixed], { dir: c });
      assert.equal(s.ecosystems.npm!.records, 2);
      assert.equal(s.rejectedCount, 0);
    } finally {
      rmSync(c, { recursive: true, force: true });
    }
  } finally {
    for (const d of [src, a, b]) rmSync(d, { recursive: true, force: true });
  }
});

test('importing one ecosystem replaces it and keeps the others; old files are removed', async () => {
  const dir = tmp('replace');
  const one = tmp('one');
  try {
    await importOsv([OSV_DB_FIXTURE], { dir });
    const before = readdirSync(dir).length;
    // A new npm snapshot with a single record.
    writeFileSync(join(one, 'GHSA-35jh-r3h4-6jhm.json'), readFileSync(join(OSV_DB_FIXTURE, 'npm', 'GHSA-35jh-r3h4-6jhm.json')));
    await importOsv([one], { dir });
    const s = await dbStatus(dir);
    assert.equal(s.ecosystems.npm!.records, 1);
    assert.equal(s.ecosystems.Debian!.records, fixtureCount('Debian'));
    assert.equal(readdirSync(dir).length, before, 'the replaced npm files are gone');
    // Leftovers of an interrupted import: removed once old, kept while they may be in use.
    const old = new Date(Date.now() - 2 * 3_600_000);
    writeFileSync(join(dir, 'npm-stale.ndjson'), '');
    utimesSync(join(dir, 'npm-stale.ndjson'), old, old);
    writeFileSync(join(dir, 'npm-recent.ndjson'), '');
    await importOsv([one], { dir });
    assert.equal(existsSync(join(dir, 'npm-stale.ndjson')), false);
    assert.equal(existsSync(join(dir, 'npm-recent.ndjson')), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(one, { recursive: true, force: true });
  }
});

test('status: date, counts, age and staleness', async () => {
  const dir = tmp('status');
  try {
    const missing = await dbStatus(dir);
    assert.equal(missing.present, false);
    assert.equal(missing.stale, true);
    await importOsv([OSV_DB_FIXTURE], { dir });
    const fresh = await dbStatus(dir, new Date('2025-03-05T00:00:00Z'));
    assert.equal(fresh.dbDate, '2025-03-01T00:00:00Z');
    assert.equal(fresh.ageDays, 4);
    assert.equal(fresh.stale, false);
    const old = await dbStatus(dir, new Date('2025-03-09T00:00:01Z'));
    assert.equal(old.ageDays, 8);
    assert.equal(old.stale, true);
    assert.equal(fresh.ecosystems.Maven!.records, fixtureCount('Maven'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: missing path, non-OSV JSON, corrupt zip, nothing importable', async () => {
  const dir = tmp('bad');
  const src = tmp('badsrc');
  try {
    await assert.rejects(importOsv([join(src, 'nope.zip')], { dir }), (e: DistillError) => e instanceof DistillError && /no such file/.test(e.message));
    writeFileSync(join(src, 'broken.zip'), 'this is not a zip');
    await assert.rejects(importOsv([join(src, 'broken.zip')], { dir }), (e: DistillError) => e instanceof DistillError && /not a readable zip/.test(e.message));
    // A zip whose record was altered after packing: the CRC check refuses it.
    const good = join(src, 'good.zip');
    writeZip(good, [['r.json', readFileSync(join(OSV_DB_FIXTURE, 'npm', 'GHSA-35jh-r3h4-6jhm.json'))]]);
    const bytes = readFileSync(good);
    bytes[30 + 'r.json'.length + 10]! ^= 0x55; // inside the deflated data of the first entry
    writeFileSync(join(src, 'tampered.zip'), bytes);
    await assert.rejects(importOsv([join(src, 'tampered.zip')], { dir }), (e: DistillError) => e instanceof DistillError && /not a readable zip/.test(e.message));
    mkdirSync(join(src, 'json'));
    writeFileSync(join(src, 'json', 'a.json'), JSON.stringify({ hello: 'world' }));
    await assert.rejects(importOsv([join(src, 'json')], { dir }), (e: DistillError) => e instanceof DistillError && /no valid OSV records/.test(e.message));
    // Mixed: bad documents are counted and reported, good ones imported.
    writeFileSync(join(src, 'json', 'b.json'), readFileSync(join(OSV_DB_FIXTURE, 'npm', 'GHSA-35jh-r3h4-6jhm.json')));
    writeFileSync(join(src, 'json', 'c.json'), '{ not json');
    const s = await importOsv([join(src, 'json')], { dir });
    assert.equal(s.ecosystems.npm!.records, 1);
    assert.equal(s.rejectedCount, 2);
    await assert.rejects(openOsvDb(join(src, 'empty-db')), /^DistillError: no DB: no OSV database here; run `distill db update`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  }
});

test('update downloads <base>/<Ecosystem>/all.zip over HTTP and imports; 404 ecosystems are listed', async () => {
  const src = tmp('served');
  const dir = tmp('updated');
  buildOsvExport(src);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url!);
    const path = join(src, decodeURIComponent(req.url!.replace(/^\/osv\//, '')));
    try {
      const body = readFileSync(path);
      res.writeHead(200, { 'content-type': 'application/zip' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/osv`;
    const source = resolveOsvSource({ from: base, retries: 0 }, {});
    const s = await updateOsvDb({ source, ecosystems: ['npm', 'Debian', 'crates.io'], dir });
    assert.deepEqual(requests.sort(), ['/osv/Debian/all.zip', '/osv/crates.io/all.zip', '/osv/npm/all.zip']);
    assert.equal(s.ecosystems['crates.io']!.status, 'missing');
    assert.deepEqual(Object.keys(s.ecosystems).filter((e) => s.ecosystems[e]!.status === 'downloaded').sort(), ['Debian', 'npm']);
    assert.equal((await dbStatus(dir)).source, base);
    // file:// bases work too (a mirrored export on disk), and so does the directory itself.
    const viaFile = await updateOsvDb({ source: resolveOsvSource({ from: `file://${src}` }, {}), ecosystems: ['Go'], dir });
    assert.equal(viaFile.ecosystems.Go!.records, fixtureCount('Go'));
    const viaDir = await updateOsvDb({ source: resolveOsvSource({ from: src }, {}), ecosystems: ['Maven'], dir });
    assert.equal(viaDir.ecosystems.Maven!.records, fixtureCount('Maven'));
    // An ecosystem's zip that names another ecosystem in passing does not replace that one.
    assert.equal((await dbStatus(dir)).ecosystems.npm!.records, fixtureCount('npm'));
  } finally {
    server.close();
    rmSync(src, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('null lists read as empty; an empty or unknown ecosystem rejects the record and is counted', async () => {
  const src = tmp('nulls');
  const dir = tmp('nulls-db');
  try {
    const rec = (id: string, ecosystem: string, extra: object = {}) => ({
      id,
      modified: '2025-01-01T00:00:00Z',
      aliases: null,
      related: null,
      severity: null,
      references: null,
      affected: [{ package: { ecosystem, name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }], versions: null, ...extra }],
    });
    writeFileSync(join(src, 'ok.json'), JSON.stringify(rec('GHSA-null-null-null', 'npm')));
    writeFileSync(join(src, 'empty.json'), JSON.stringify(rec('GHSA-empt-empt-empt', '')));
    writeFileSync(join(src, 'unknown.json'), JSON.stringify(rec('GHSA-unkn-unkn-unkn', 'NotAnEcosystem')));
    writeFileSync(join(src, 'missing.json'), JSON.stringify({ ...rec('GHSA-miss-miss-miss', 'npm'), affected: [{ package: { name: 'lodash' } }] }));
    const s = await importOsv([src], { dir });
    assert.deepEqual(Object.keys(s.ecosystems), ['npm']);
    assert.equal(s.ecosystems.npm!.records, 1);
    assert.equal(s.rejectedCount, 3);
    const errors = s.rejected.map((r) => r.error).sort();
    assert.deepEqual(errors.map((e) => e.replace(/:.*/, '')), ['affected.0.package.ecosystem', 'affected.0.package.ecosystem', 'affected.0.package.ecosystem']);
    assert.ok(errors.some((e) => /empty/.test(e)) && errors.some((e) => /unknown ecosystem "NotAnEcosystem"/.test(e)));
    const db = await openOsvDb(dir);
    try {
      const [r] = await db.lookup('npm', 'lodash');
      assert.deepEqual([r!.aliases, r!.affected[0]!.versions], [[], []]);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
