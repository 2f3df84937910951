/** scanPackages: filters, ignore/VEX rules with reasons and expiry, ordering, DB age warnings. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOsv, openOsvDb, type OsvDb } from '../../src/vuln/db.ts';
import { exceedsThreshold, loadIgnoreFile, scanPackages } from '../../src/vuln/scan.ts';
import { DistillError } from '../../src/util/errors.ts';
import { OSV_DB_FIXTURE, fixtureImage } from './helpers/fixtures.ts';

let dir: string;
let db: OsvDb;
const NOW = new Date('2025-03-02T00:00:00Z'); // one day after the newest fixture record

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'distill-osv-scan-'));
  await importOsv([OSV_DB_FIXTURE], { dir: join(dir, 'db') });
  db = await openOsvDb(join(dir, 'db'));
});

after(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('findings are sorted by severity then score, counted per level, and carry the DB date', async () => {
  const r = await scanPackages(fixtureImage('java-app'), { db, now: NOW });
  assert.equal(r.packages, 6);
  assert.deepEqual(
    r.vulnerabilities.map((v) => `${v.severity.level} ${v.id} ${v.package.version}`),
    [
      'critical GHSA-jfh8-c2jp-5v3q 2.0-beta9', // 10.0
      'critical GHSA-jfh8-c2jp-5v3q 2.14.1',
      'critical GHSA-36p3-wjmg-h94x 5.3.17', // 9.8
      'critical GHSA-7rjr-3q55-vv33 2.0-beta9', // 9.0
      'critical GHSA-7rjr-3q55-vv33 2.14.1',
      'high GHSA-jjjh-jjxp-wpff 2.13.2.1',
    ],
  );
  assert.equal(r.counts.critical, 5);
  assert.equal(r.counts.high, 1);
  assert.equal(r.db?.dbDate, '2025-03-01T00:00:00Z');
  assert.equal(r.db?.stale, false);
  assert.deepEqual(r.warnings, []);
  assert.equal(exceedsThreshold(r, 'critical'), true);
});

test('an old DB is flagged in the result', async () => {
  const r = await scanPackages(fixtureImage('python-app'), { db, now: new Date('2025-06-01T00:00:00Z') });
  assert.equal(r.db?.stale, true);
  assert.match(r.warnings.join('\n'), /92 days old.*distill db update/);
});

test('--severity keeps the named levels; --ignore-unfixed drops findings without a fix', async () => {
  const pkgs = fixtureImage('debian-bookworm-old');
  const all = await scanPackages(pkgs, { db, now: NOW });
  assert.ok(all.vulnerabilities.some((v) => v.id === 'DEBIAN-CVE-2005-2541'));
  const fixedOnly = await scanPackages(pkgs, { db, now: NOW, ignoreUnfixed: true });
  assert.equal(fixedOnly.vulnerabilities.some((v) => v.id === 'DEBIAN-CVE-2005-2541'), false);
  assert.equal(fixedOnly.filtered, 1);
  const low = await scanPackages(pkgs, { db, now: NOW, severity: ['low'] });
  assert.deepEqual(low.vulnerabilities.map((v) => v.id), ['DEBIAN-CVE-2005-2541']);
  assert.equal(exceedsThreshold(low, 'medium'), false);
});

test('ignore file: by id or CVE alias, optionally per package, with reasons; expired rules stop applying', async () => {
  const file = join(dir, 'ignore.yaml');
  writeFileSync(
    file,
    [
      '- id: CVE-2021-23337',
      '  package: lodash',
      '  reason: template() is never called with user input',
      '- id: GHSA-c2qf-rxjj-qqgw',
      '  reason: ranges come from our own config only',
      '  expires: 2025-01-01',
      '- id: GHSA-xvch-5gv4-984h',
      '  package: not-minimist',
      '  reason: scoped to another package, must not hide minimist',
      '',
    ].join('\n'),
  );
  const r = await scanPackages(fixtureImage('node-app'), { db, now: NOW, ignoreFile: file });
  assert.deepEqual(
    r.ignored.map((i) => `${i.vulnerability.id} ${i.vulnerability.package.version} (${i.rule.reason})`).sort(),
    [
      'GHSA-35jh-r3h4-6jhm 4.17.15 (template() is never called with user input)',
      'GHSA-35jh-r3h4-6jhm 4.17.20 (template() is never called with user input)',
    ],
  );
  assert.equal(r.vulnerabilities.some((v) => v.id === 'GHSA-35jh-r3h4-6jhm'), false);
  assert.equal(r.vulnerabilities.filter((v) => v.id === 'GHSA-c2qf-rxjj-qqgw').length, 2, 'expired rule no longer hides');
  assert.equal(r.vulnerabilities.filter((v) => v.id === 'GHSA-xvch-5gv4-984h').length, 2);
  assert.match(r.warnings.join('\n'), /GHSA-c2qf-rxjj-qqgw expired on 2025-01-01/);
});

test('ignore file: JSON form and validation errors name the file', () => {
  const json = join(dir, 'ignore.json');
  writeFileSync(json, JSON.stringify({ ignore: [{ id: 'DSA-5514-1', reason: 'not reachable' }] }));
  assert.deepEqual(loadIgnoreFile(json), [{ id: 'DSA-5514-1', reason: 'not reachable' }]);
  const noReason = join(dir, 'bad.yaml');
  writeFileSync(noReason, '- id: CVE-2024-1\n');
  assert.throws(
    () => loadIgnoreFile(noReason),
    (e: DistillError) => e instanceof DistillError && e.input === noReason && /reason/.test(e.message),
  );
  const badDate = join(dir, 'baddate.yaml');
  writeFileSync(badDate, '- id: CVE-2024-1\n  reason: x\n  expires: someday\n');
  assert.throws(() => loadIgnoreFile(badDate), /expires is not a date/);
  assert.throws(() => loadIgnoreFile(join(dir, 'missing.yaml')), /cannot read ignore file/);
});

test('without an explicit DB, scanPackages opens the one in the cache and says how to create it', async () => {
  await assert.rejects(scanPackages([], { dbDir: join(dir, 'nothing') }), /distill db import/);
  const r = await scanPackages(fixtureImage('go-binary'), { dbDir: join(dir, 'db'), now: NOW });
  assert.equal(r.vulnerabilities.length, 6);
});
