/** `distill audit --format sarif`: one rule per audit check, one result per finding, located at the image (and path). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditImage } from '../../src/analyze/audit/index.ts';
import { AUDIT_RULES } from '../../src/analyze/audit/rules.ts';
import { auditToSarif } from '../../src/report/audit-sarif.ts';
import { makeImage } from '../helpers/images.ts';
import { assertValidSarif } from '../helpers/sarif.ts';

interface Log {
  runs: {
    tool: { driver: { name: string; rules: { id: string; name: string; defaultConfiguration: { level: string }; properties: Record<string, string>; helpUri: string }[] } };
    results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
  }[];
}

const dir = (name: string) => ({ name, type: 'directory' as const, mode: 0o755 });

test('audit SARIF: every rule with its level and security-severity, every finding at the image reference and its path', async () => {
  const image = await makeImage([[dir('bin/'), { name: 'bin/sh', content: 'x', mode: 0o755 }, dir('opt/'), dir('opt/my app/'), { name: 'opt/my app/run', content: 'x', mode: 0o4755 }]], { user: '65532' });
  const audit = { ...(await auditImage(image)), reference: 'oci:/srv/my images/app:v1' };
  const log = auditToSarif(audit) as unknown as Log;
  assertValidSarif(log);
  const run = log.runs[0]!;
  assert.equal(run.tool.driver.name, 'distill audit');
  assert.deepEqual(run.tool.driver.rules.map((r) => r.id), Object.values(AUDIT_RULES).map((r) => r.id));
  const shell = run.tool.driver.rules.find((r) => r.id === 'DA001')!;
  assert.deepEqual([shell.name, shell.defaultConfiguration.level, shell.properties['security-severity'], shell.helpUri], ['ShellPresent', 'error', '8.0', 'https://github.com/distill/distill/blob/main/docs/rules/DA001.md']);
  assert.deepEqual(run.results.map((r) => r.ruleId), audit.findings.map((f) => f.rule));
  for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex]?.id, r.ruleId);
  const setuid = run.results.find((r) => r.ruleId === 'DA004')!;
  assert.equal(setuid.level, 'error');
  assert.match(setuid.message.text, /^setuid or setgid file: /);
  assert.equal(setuid.locations[0]?.physicalLocation.artifactLocation.uri, 'oci:/srv/my%20images/app:v1/opt/my%20app/run');
  const healthcheck = run.results.find((r) => r.ruleId === 'DA015')!;
  assert.deepEqual([healthcheck.level, healthcheck.locations[0]?.physicalLocation.artifactLocation.uri], ['note', 'oci:/srv/my%20images/app:v1']);
});

test('audit SARIF of an image without a reference is located at its digest', async () => {
  const audit = await auditImage(await makeImage([[dir('bin/'), { name: 'bin/sh', content: 'x', mode: 0o755 }]], { user: '65532' }));
  const log = auditToSarif({ ...audit, reference: undefined }) as unknown as Log;
  assertValidSarif(log);
  assert.equal(log.runs[0]!.results.find((r) => r.ruleId === 'DA001')?.locations[0]?.physicalLocation.artifactLocation.uri, `${audit.digest}/bin/sh`);
});
