/** The one SARIF writer: what every command's SARIF shares (rule properties, non-file locations, URI escaping). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toSarif, uriReference } from '../../src/report/sarif.ts';
import { assertValidSarif } from '../helpers/sarif.ts';

interface Run {
  tool: { driver: { rules: Record<string, unknown>[] } };
  results: { ruleId: string; ruleIndex?: number; locations?: { physicalLocation: { artifactLocation: { uri: string }; region?: unknown } }[] }[];
}

test('rules without a name or default level, with a property bag; results at a URI rather than a file', () => {
  const doc = toSarif(
    { name: 'tool' },
    [
      { id: 'GHSA-xxxx', shortDescription: 'prototype pollution', properties: { 'security-severity': '7.5', tags: ['security'] } },
      { id: 'R2', name: 'two', shortDescription: 'second', severity: 'warning' },
    ],
    [
      { ruleId: 'GHSA-xxxx', level: 'error', message: 'hit', uri: 'oci:/srv/images/app:v1#pkg:npm/%40scope/lib@1.0.0' },
      { ruleId: 'UNLISTED', level: 'none', message: 'no such rule' },
    ],
  );
  assertValidSarif(doc);
  const run = (doc.runs as Run[])[0]!;
  assert.deepEqual(run.tool.driver.rules[0], { id: 'GHSA-xxxx', shortDescription: { text: 'prototype pollution' }, properties: { 'security-severity': '7.5', tags: ['security'] } });
  assert.deepEqual(run.tool.driver.rules[1]?.defaultConfiguration, { level: 'warning' });
  assert.deepEqual(run.results[0]?.locations, [{ physicalLocation: { artifactLocation: { uri: 'oci:/srv/images/app:v1#pkg:npm/%40scope/lib@1.0.0' } } }]);
  assert.equal(run.results[1]?.ruleIndex, undefined, 'a rule the run does not list has no index');
});

test('uriReference keeps readable references and escapes only what a URI cannot hold', () => {
  const cases: [string, string][] = [
    ['docker.io/library/node:20', 'docker.io/library/node:20'],
    ['oci:/tmp/x/img:v1/bin/sh', 'oci:/tmp/x/img:v1/bin/sh'],
    ['oci:/tmp/my images/img:v1/opt/my app', 'oci:/tmp/my%20images/img:v1/opt/my%20app'],
    ['127.0.0.1:5000/app:1', '127.0.0.1%3A5000/app:1'],
    ['[::1]:5000/app', '%5B%3A%3A1%5D%3A5000/app'],
    ['app#pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12', 'app#pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12'],
    ['oci:/a#b#c', 'oci:/a#b%23c'],
    ['oci:/100%/x%41', 'oci:/100%25/x%41'],
    ['oci:/tmp/\u00e9t\u00e9\u0000\u001b[0m', 'oci:/tmp/%C3%A9t%C3%A9%00%1B%5B0m'],
    ['sha256:abc/etc/shadow', 'sha256:abc/etc/shadow'],
  ];
  for (const [text, uri] of cases) {
    assert.equal(uriReference(text), uri, text);
    assertValidSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 't' } }, results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri: uriReference(text) } } }] }] }] });
  }
});
