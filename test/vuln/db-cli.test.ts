/** The `distill db` commands as a user runs them: import, status (text and JSON), update errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';
import { OSV_DB_FIXTURE } from './helpers/fixtures.ts';

test('db import, then db status in text and JSON; an old DB warns on stderr', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'distill-dbcli-'));
  const env = { DISTILL_CACHE_DIR: cache };
  try {
    const none = await runDistill(['db', 'status', '--json'], { env });
    assert.equal(none.code, 0);
    assert.equal(JSON.parse(none.stdout).present, false);
    assert.equal(JSON.parse(none.stdout).command, 'distill db update');

    const imp = await runDistill(['db', 'import', OSV_DB_FIXTURE, '--json'], { env });
    assert.equal(imp.code, 0, imp.stderr);
    const summary = JSON.parse(imp.stdout);
    assert.equal(summary.dir, join(cache, 'osv'));
    assert.equal(summary.ecosystems.npm.records, 10);
    assert.equal(summary.ecosystems.Debian.records, 9);

    const st = await runDistill(['db', 'status', '--json'], { env });
    const status = JSON.parse(st.stdout);
    assert.equal(status.present, true);
    assert.equal(status.dbDate, '2025-03-01T00:00:00Z');
    assert.deepEqual(Object.keys(status.ecosystems), ['Alpine', 'Debian', 'Go', 'Maven', 'npm', 'PyPI']);

    const text = await runDistill(['db', 'status'], { env });
    assert.equal(text.code, 0);
    assert.match(text.stdout, /date: +2025-03-01T00:00:00Z/);
    assert.match(text.stdout, /npm +10 records/);
    assert.match(text.stderr, /older than 7 days/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('db errors are one line and exit 2', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'distill-dbcli-err-'));
  try {
    const env = { DISTILL_CACHE_DIR: cache, DISTILL_OSV_URL: '', DISTILL_OFFLINE: '1' };
    // Offline, the default source (the public export) is refused without a connection attempt.
    const upd = await runDistill(['db', 'update'], { env });
    assert.equal(upd.code, 2);
    assert.equal(upd.stderr.trim().split('\n').length, 1);
    assert.match(upd.stderr, /^distill: db update: offline \(--offline or DISTILL_OFFLINE\): not fetching https:\/\/osv-vulnerabilities\.storage\.googleapis\.com/);
    const scheme = await runDistill(['db', 'update', '--from', 'ftp://mirror.example.test/osv'], { env });
    assert.equal(scheme.code, 2);
    assert.match(scheme.stderr, /^distill: ftp:\/\/mirror\.example\.test\/osv: expected an http\(s\):\/\/ or file:\/\/ URL/);
    const imp = await runDistill(['db', 'import', join(cache, 'missing.zip')], { env });
    assert.equal(imp.code, 2);
    assert.match(imp.stderr, /missing\.zip: no such file or directory/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
