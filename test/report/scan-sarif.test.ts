/** `distill scan --format sarif`: one rule per advisory id, one result per affected package, located at image#purl. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Vuln } from '../../src/vuln/matcher.ts';
import { scanToSarif } from '../../src/report/scan-sarif.ts';
import { assertValidSarif } from '../helpers/sarif.ts';

interface Log {
  runs: {
    tool: { driver: { name: string; rules: { id: string; shortDescription: { text: string }; helpUri?: string; properties: { tags: string[]; 'security-severity'?: string } }[] } };
    results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
  }[];
}

const lodash = (name: string, version: string): Vuln => ({
  id: 'GHSA-35jh-r3h4-6jhm',
  aliases: ['CVE-2021-23337'],
  cves: ['CVE-2021-23337'],
  package: { name, version, ecosystem: 'npm', purl: `pkg:npm/${name}@${version}` },
  installedVersion: version,
  fixedVersions: ['4.17.21'],
  severity: { level: 'high', score: 7.2, vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', source: 'cvss_v3' },
  summary: 'Command Injection in lodash',
  modified: '2024-01-01T00:00:00Z',
  url: 'https://osv.dev/vulnerability/GHSA-35jh-r3h4-6jhm',
});

const openssl: Vuln = {
  id: 'DSA-5532-1',
  aliases: [],
  cves: [],
  package: { name: 'openssl', version: '3.0.9-1', ecosystem: 'Debian:12', purl: 'pkg:deb/debian/openssl@3.0.9-1?arch=amd64&distro=debian-12' },
  installedVersion: '3.0.9-1',
  fixedVersions: [],
  severity: { level: 'unknown', source: 'none' },
  summary: '',
  modified: '2024-01-01T00:00:00Z',
};

test('scan SARIF: advisories as rules (once each), findings per package with level, message and image#purl', () => {
  const log = scanToSarif({ image: { name: 'oci:/srv/my images/app:v1' }, vulnerabilities: [lodash('lodash', '4.17.20'), openssl, lodash('lodash.template', '4.5.0')] }) as unknown as Log;
  assertValidSarif(log);
  const run = log.runs[0]!;
  assert.equal(run.tool.driver.name, 'distill scan');
  assert.deepEqual(run.tool.driver.rules.map((r) => r.id), ['GHSA-35jh-r3h4-6jhm', 'DSA-5532-1']);
  assert.deepEqual(run.tool.driver.rules[0], {
    id: 'GHSA-35jh-r3h4-6jhm',
    shortDescription: { text: 'Command Injection in lodash' },
    helpUri: 'https://osv.dev/vulnerability/GHSA-35jh-r3h4-6jhm',
    properties: { 'security-severity': '7.2', tags: ['vulnerability', 'security'] },
  });
  assert.deepEqual(run.tool.driver.rules[1], { id: 'DSA-5532-1', shortDescription: { text: 'DSA-5532-1' }, properties: { tags: ['vulnerability', 'security'] } });
  assert.deepEqual(run.results.map((r) => [r.ruleId, r.ruleIndex, r.level]), [['GHSA-35jh-r3h4-6jhm', 0, 'error'], ['DSA-5532-1', 1, 'warning'], ['GHSA-35jh-r3h4-6jhm', 0, 'error']]);
  assert.equal(run.results[0]?.message.text, 'lodash 4.17.20 is affected by GHSA-35jh-r3h4-6jhm (CVE-2021-23337); fixed in 4.17.21. Severity high (cvss_v3).');
  assert.equal(run.results[1]?.message.text, 'openssl 3.0.9-1 is affected by DSA-5532-1; no fix yet. Severity unknown (none).');
  assert.deepEqual(run.results.map((r) => r.locations[0]?.physicalLocation.artifactLocation.uri), [
    'oci:/srv/my%20images/app:v1#pkg:npm/lodash@4.17.20',
    'oci:/srv/my%20images/app:v1#pkg:deb/debian/openssl@3.0.9-1?arch=amd64&distro=debian-12',
    'oci:/srv/my%20images/app:v1#pkg:npm/lodash.template@4.5.0',
  ]);
});

test('scan SARIF of a clean image is a valid log with no rules and no results', () => {
  const log = scanToSarif({ image: { name: 'docker.io/library/node:22' }, vulnerabilities: [] }) as unknown as Log;
  assertValidSarif(log);
  assert.deepEqual([log.runs[0]!.tool.driver.rules, log.runs[0]!.results], [[], []]);
});
