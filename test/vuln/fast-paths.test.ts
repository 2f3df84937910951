/**
 * The shortcuts the import and scan take must not change a result: the hand-written OSV record
 * check agrees with the zod schemas (same acceptance, same error, same record), the DB's batched
 * prefetch returns what one-by-one lookups return, and memoised version orderings order as the
 * raw ones do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { osvSchemas, parseOsvRecord } from '../../src/vuln/osv.ts';
import { importOsv, openOsvDb } from '../../src/vuln/db.ts';
import { matchPackagesDetailed, type PackageInput, type VulnSource } from '../../src/vuln/matcher.ts';
import { dpkgScheme, schemeFor, semverScheme } from '../../src/vuln/versions/index.ts';
import { dpkgScheme as rawDpkg } from '../../src/vuln/versions/dpkg.ts';
import { semverScheme as rawSemver } from '../../src/vuln/versions/semver.ts';
import { OSV_DB_FIXTURE, buildOsvExport, fixtureEcosystems, fixtureImage } from './helpers/fixtures.ts';

// Records are compared as JSON values: key order and keys holding undefined do not matter to
// anything that reads them.
/** What zod alone says of `json`, in parseOsvRecord's terms. */
function viaZod(json: unknown): { ok: boolean; error?: string; record?: unknown } {
  const r = osvSchemas().OsvRecord.safeParse(structuredClone(json));
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, error: `${i.path.join('.') || '(root)'}: ${i.message}` };
  }
  return { ok: true, record: JSON.parse(JSON.stringify(r.data)) };
}

function viaParse(json: unknown): { ok: boolean; error?: string; record?: unknown } {
  const r = parseOsvRecord(structuredClone(json));
  return r.ok ? { ok: true, record: JSON.parse(JSON.stringify(r.record)) } : { ok: false, error: r.error };
}

const base = {
  id: 'GHSA-x',
  modified: '2025-01-01T00:00:00Z',
  affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }] }],
};

// Each one either passes both ways or fails both ways with the same first issue.
const variants: [string, unknown][] = [
  ['minimal', base],
  ['nulls everywhere a null reads as empty or absent', { ...base, aliases: null, related: null, upstream: null, summary: null, details: null, published: null, withdrawn: null, severity: null, references: null, database_specific: null, affected: [{ ...base.affected[0], versions: null, severity: null, ecosystem_specific: null, database_specific: null, package: { ecosystem: 'npm', name: 'a', purl: null }, ranges: [{ type: 'GIT', repo: null, events: null }] }] }],
  ['no affected list', { id: 'X', modified: 'm' }],
  ['unknown fields pass through', { ...base, x_extra: { deep: [1, 2] }, affected: [{ ...base.affected[0], x_more: true }] }],
  ['empty id', { ...base, id: '' }],
  ['numeric modified', { ...base, modified: 1 }],
  ['null schema_version', { ...base, schema_version: null }],
  ['alias not a string', { ...base, aliases: ['a', 2] }],
  ['affected not a list', { ...base, affected: {} }],
  ['package null', { ...base, affected: [{ package: null, ranges: [] }] }],
  ['event null field', { ...base, affected: [{ ...base.affected[0], ranges: [{ type: 'SEMVER', events: [{ introduced: null }] }] }] }],
  ['range without type', { ...base, affected: [{ ...base.affected[0], ranges: [{ events: [] }] }] }],
  ['severity without score', { ...base, severity: [{ type: 'CVSS_V3' }] }],
  ['database_specific a list', { ...base, database_specific: [] }],
  ['ecosystem_specific a string', { ...base, affected: [{ ...base.affected[0], ecosystem_specific: 'x' }] }],
  ['reference without url', { ...base, references: [{ type: 'WEB' }] }],
  ['not an object', [base]],
  ['null', null],
];

test('the fast OSV record check agrees with the zod schemas', () => {
  for (const [what, json] of variants) assert.deepEqual(viaParse(json), viaZod(json), what);
});

test('the fast OSV record check agrees with zod on every fixture record', () => {
  for (const eco of fixtureEcosystems()) {
    for (const f of readdirSync(join(OSV_DB_FIXTURE, eco)).filter((n) => n.endsWith('.json'))) {
      const json = JSON.parse(readFileSync(join(OSV_DB_FIXTURE, eco, f), 'utf8')) as unknown;
      const z = viaZod(json);
      const p = viaParse(json);
      assert.equal(p.ok, z.ok, f);
      assert.deepEqual(p.record, z.record, f);
    }
  }
});

test('unknown ecosystems are still rejected on the fast path', () => {
  const r = parseOsvRecord({ ...base, affected: [{ package: { ecosystem: 'NotAnEcosystem', name: 'a' } }] });
  assert.deepEqual(r, { ok: false, error: 'affected.0.package.ecosystem: unknown ecosystem "NotAnEcosystem"' });
});

test('prefetch then lookup returns what lookups alone return, for every fixture image', async () => {
  const src = mkdtempSync(join(tmpdir(), 'distill-fast-src-'));
  const dir = mkdtempSync(join(tmpdir(), 'distill-fast-db-'));
  try {
    buildOsvExport(src);
    await importOsv([src], { dir });
    const images = readdirSync(join(OSV_DB_FIXTURE, '..', 'images')).map((f) => f.replace(/\.json$/, ''));
    assert.ok(images.length > 0);
    for (const image of images) {
      const pkgs: PackageInput[] = fixtureImage(image);
      const plain = await openOsvDb(dir);
      const batched = await openOsvDb(dir);
      try {
        // Without prefetch: the DB's lookup alone, as any VulnSource.
        const lookupOnly: VulnSource = { lookup: (e, n) => plain.lookup(e, n) };
        const a = await matchPackagesDetailed(pkgs, lookupOnly);
        const b = await matchPackagesDetailed(pkgs, batched);
        assert.deepEqual(b, a, image);
      } finally {
        await plain.close();
        await batched.close();
      }
    }
    // Names that are not packages, including Object.prototype's, find nothing either way.
    const db = await openOsvDb(dir);
    try {
      await db.prefetch([{ ecosystem: 'npm', name: 'constructor' }, { ecosystem: 'npm', name: 'lodash' }, { ecosystem: 'crates.io', name: 'serde' }]);
      assert.deepEqual(await db.lookup('npm', 'constructor'), []);
      assert.deepEqual(await db.lookup('npm', '__proto__'), []);
      assert.deepEqual(await db.lookup('crates.io', 'serde'), []);
      assert.deepEqual((await db.lookup('npm', 'lodash')).map((r) => r.id).sort(), ['GHSA-35jh-r3h4-6jhm', 'GHSA-p6mc-m468-83gw']);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('memoised version orderings order and validate as the raw ones do', () => {
  const debs = ['1.0-1', '1:0.9', '1.0~rc1-1', '1.0-1+b1', '1.0', '2.0-0', '1.0-1', 'not a version', ''];
  const sems = ['1.0.0', 'v1.0.0', '1.0.0-rc.1', '1.2', '=2.0.0', 'garbage', '1.0.0+build', '10.0.0'];
  for (const [memo, raw, list] of [[dpkgScheme, rawDpkg, debs], [semverScheme, rawSemver, sems]] as const) {
    for (let round = 0; round < 2; round++) {
      for (const a of list) {
        assert.equal(memo.valid(a), raw.valid(a), a);
        for (const b of list) assert.equal(Math.sign(memo.compare(a, b)), Math.sign(raw.compare(a, b)), `${a} vs ${b}`);
      }
    }
    assert.deepEqual([...list].sort(memo.compare), [...list].sort(raw.compare));
  }
  assert.equal(schemeFor('Debian:12'), dpkgScheme);
});
