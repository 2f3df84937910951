/**
 * The two SBOM format checks every test uses: SPDX 2.3 against the SPDX project's own JSON schema
 * (test/fixtures/schemas/spdx-2.3-schema.json, vendored unchanged) and CycloneDX 1.6 with the
 * CycloneDX library's strict validator (the official schema bundled in the library).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import * as CDX from '@cyclonedx/cyclonedx-library';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schema = JSON.parse(readFileSync(new URL('../fixtures/schemas/spdx-2.3-schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

/** ajv's validator for the official SPDX 2.3 JSON schema. */
export const validateSpdx = ajv.compile(schema);

/** Fails with the schema errors when `doc` (object or JSON text) is not a valid SPDX 2.3 document. */
export function assertValidSpdx(doc: unknown): void {
  const d = typeof doc === 'string' ? JSON.parse(doc) : doc;
  assert.ok(validateSpdx(d), JSON.stringify(validateSpdx.errors, null, 1));
}

/** Fails with the validator's errors when `text` is not a valid CycloneDX 1.6 JSON document. */
export async function assertValidCycloneDx(text: string): Promise<void> {
  const errors = await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text);
  assert.equal(errors, null, JSON.stringify(errors, null, 1));
}
