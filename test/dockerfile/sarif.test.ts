/**
 * SARIF 2.1.0 output, checked with ajv against the part of the OASIS SARIF 2.1.0 schema our
 * writer produces (test/helpers/sarif.ts), plus the CLI's `--format sarif`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { toSarif } from '../../src/report/sarif.ts';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { assertValidSarif as assertValid, validateSarif as validate } from '../helpers/sarif.ts';

test('the schema subset rejects what SARIF 2.1.0 forbids (so passing it means something)', () => {
  assert.equal(validate({ version: '2.0.0', runs: [{ tool: { driver: { name: 'x' } } }] }), false);
  assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'info' }] }] }), false);
  assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: 'm' }] }] }), false);
});

test('generic writer: rules with indexes, levels mapped (info -> note), locations with 1-based lines', () => {
  const doc = toSarif(
    { name: 'tool', version: '1.0.0' },
    [
      { id: 'R1', name: 'one', shortDescription: 'first', severity: 'error', helpUri: 'https://example.invalid/r1' },
      { id: 'R2', name: 'two', shortDescription: 'second', severity: 'info' },
    ],
    [
      { ruleId: 'R2', level: 'info', message: 'hello', file: 'dir with space/Dockerfile', line: 3 },
      { ruleId: 'R1', level: 'error', message: 'image-wide finding' },
      { ruleId: 'R1', level: 'warning', message: 'stdin', file: '-', line: 1 },
    ],
  );
  assertValid(doc);
  const run = (doc.runs as { tool: { driver: { rules: { defaultConfiguration: { level: string } }[] } }; results: Record<string, unknown>[] }[])[0]!;
  assert.deepEqual(run.tool.driver.rules.map((r) => r.defaultConfiguration.level), ['error', 'note']);
  assert.deepEqual(run.results[0], {
    ruleId: 'R2',
    ruleIndex: 1,
    level: 'note',
    message: { text: 'hello' },
    locations: [{ physicalLocation: { artifactLocation: { uri: 'dir%20with%20space/Dockerfile' }, region: { startLine: 3 } } }],
  });
  assert.equal(run.results[1]?.locations, undefined);
  assert.equal((run.results[2] as { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }).locations[0]?.physicalLocation.artifactLocation.uri, 'stdin');
});

test('distill lint --format sarif is valid SARIF 2.1.0 with one result per finding', async () => {
  const files = ['root-user-0', 'secrets', 'curl-pipe-sh'].map((d) => join('test', 'fixtures', 'lint', d, 'Dockerfile'));
  const sarif = await runDistill(['lint', '--format', 'sarif', ...files], { cwd: ROOT });
  const json = await runDistill(['lint', '--json', ...files], { cwd: ROOT });
  assert.equal(sarif.code, 1, sarif.stderr);
  const doc = JSON.parse(sarif.stdout) as { runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
  assertValid(doc);
  const findings = (JSON.parse(json.stdout) as { findings: { rule: string; file: string; line: number }[] }).findings;
  const results = doc.runs[0]!.results;
  assert.equal(results.length, findings.length);
  assert.deepEqual(
    results.map((r) => [r.ruleId, r.locations[0]!.physicalLocation.artifactLocation.uri, r.locations[0]!.physicalLocation.region.startLine]),
    findings.map((f) => [f.rule, f.file, f.line]),
  );
  assert.ok(results.some((r) => r.ruleId === 'DL1030' && r.level === 'error'));
  const ruleIds = doc.runs[0]!.tool.driver.rules.map((r) => r.id);
  for (const r of results) assert.ok(ruleIds.includes(r.ruleId));
});
