/** CVSS base scores against published scores, bands, and the order of severity sources. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cvss3BaseScore, cvss4BaseScore } from '../../src/vuln/cvss.ts';
import { bandOf, parseSeverityLevel, severityOf } from '../../src/vuln/severity.ts';
import type { OsvRecord } from '../../src/vuln/osv.ts';

test('CVSS v3.x base scores match the published scores of well-known vectors', () => {
  const known: [string, number][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0], // Log4Shell
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H', 9.0], // CVE-2021-45046
    ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 7.2], // lodash CVE-2021-23337
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1], // typical reflected XSS
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N', 6.1], // requests CVE-2023-32681
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', 5.3],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0.0],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
  ];
  for (const [v, score] of known) assert.equal(cvss3BaseScore(v), score, v);
});

test('malformed or other-version vectors give no score rather than a guess', () => {
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), null);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H'), null);
  assert.equal(cvss3BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P'), null);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), null);
  assert.equal(cvss4BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), null);
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:N/garbage'), null);
});

test('CVSS v4.0 base score via the library', () => {
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), 9.3);
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N'), 0);
});

test('bands: none 0, low <4, medium <7, high <9, critical', () => {
  assert.equal(bandOf(0), 'none');
  assert.equal(bandOf(0.1), 'low');
  assert.equal(bandOf(3.9), 'low');
  assert.equal(bandOf(4.0), 'medium');
  assert.equal(bandOf(6.9), 'medium');
  assert.equal(bandOf(7.0), 'high');
  assert.equal(bandOf(8.9), 'high');
  assert.equal(bandOf(9.0), 'critical');
  assert.equal(bandOf(10), 'critical');
  assert.equal(parseSeverityLevel('MODERATE'), 'medium');
  assert.equal(parseSeverityLevel('High'), 'high');
  assert.equal(parseSeverityLevel('severe'), undefined);
});

function rec(extra: Partial<OsvRecord>): OsvRecord {
  return { id: 'X-1', modified: '2024-01-01T00:00:00Z', aliases: [], affected: [], ...extra };
}

test('severity sources: advisory rating first, then Debian urgency, then CVSS v3, then v4, else unknown', () => {
  const v3 = { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' };
  const v4 = { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' };
  // GitHub rates it moderate although the vector scores 7.5: the advisory's own rating wins, score kept.
  assert.deepEqual(severityOf(rec({ severity: [v3], database_specific: { severity: 'MODERATE' } })), {
    level: 'medium',
    score: 7.5,
    vector: v3.score,
    source: 'advisory',
  });
  const deb = { package: { ecosystem: 'Debian:12', name: 'x' }, ranges: [], versions: [], ecosystem_specific: { urgency: 'high' } };
  assert.deepEqual(severityOf(rec({ affected: [deb] }), deb), { level: 'high', source: 'debian-urgency' });
  const unassigned = { ...deb, ecosystem_specific: { urgency: 'not yet assigned' } };
  assert.deepEqual(severityOf(rec({ affected: [unassigned] }), unassigned), { level: 'unknown', source: 'none' });
  assert.deepEqual(severityOf(rec({ severity: [v3] })), { level: 'high', score: 7.5, vector: v3.score, source: 'cvss_v3' });
  assert.deepEqual(severityOf(rec({ severity: [v4] })), { level: 'critical', score: 9.3, vector: v4.score, source: 'cvss_v4' });
  assert.deepEqual(severityOf(rec({ severity: [{ type: 'Ubuntu', score: 'medium' }] })), { level: 'medium', source: 'advisory' });
  assert.deepEqual(severityOf(rec({})), { level: 'unknown', source: 'none' });
});
