/**
 * SARIF 2.1.0 output, checked with ajv against the part of the OASIS SARIF 2.1.0 schema our
 * writer produces (written here from the specification; objects closed with
 * additionalProperties: false as the official schema does), plus the CLI's `--format sarif`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { toSarif } from '../../src/report/sarif.ts';
import { runDistill, ROOT } from '../helpers/cli.ts';

const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;

const message = { type: 'object', properties: { text: { type: 'string' }, markdown: { type: 'string' } }, required: ['text'], additionalProperties: false };
const level = { enum: ['none', 'note', 'warning', 'error'] };
const SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['version', 'runs'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', format: 'uri' },
    version: { const: '2.1.0' },
    runs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['tool'],
        additionalProperties: false,
        properties: {
          tool: {
            type: 'object',
            required: ['driver'],
            additionalProperties: false,
            properties: {
              driver: {
                type: 'object',
                required: ['name'],
                additionalProperties: false,
                properties: {
                  name: { type: 'string', minLength: 1 },
                  version: { type: 'string' },
                  semanticVersion: { type: 'string' },
                  informationUri: { type: 'string', format: 'uri' },
                  rules: {
                    type: 'array',
                    uniqueItems: true,
                    items: {
                      type: 'object',
                      required: ['id'],
                      additionalProperties: false,
                      properties: {
                        id: { type: 'string' },
                        name: { type: 'string' },
                        shortDescription: message,
                        fullDescription: message,
                        help: message,
                        helpUri: { type: 'string', format: 'uri' },
                        defaultConfiguration: { type: 'object', additionalProperties: false, properties: { level, enabled: { type: 'boolean' } } },
                      },
                    },
                  },
                },
              },
            },
          },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['message'],
              additionalProperties: false,
              properties: {
                ruleId: { type: 'string' },
                ruleIndex: { type: 'integer', minimum: -1 },
                level,
                message,
                locations: {
                  type: 'array',
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    properties: {
                      physicalLocation: {
                        type: 'object',
                        additionalProperties: false,
                        properties: {
                          artifactLocation: { type: 'object', additionalProperties: false, properties: { uri: { type: 'string', format: 'uri-reference' }, uriBaseId: { type: 'string' } } },
                          region: { type: 'object', additionalProperties: false, properties: { startLine: { type: 'integer', minimum: 1 }, startColumn: { type: 'integer', minimum: 1 } } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(SCHEMA);

function assertValid(doc: unknown): void {
  const ok = validate(doc);
  assert.ok(ok, JSON.stringify(validate.errors, null, 1));
}

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
