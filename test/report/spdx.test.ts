/**
 * SPDX 2.3 output, validated against the subset of the SPDX 2.3 JSON schema that our documents
 * use (written here from the spec's schema: required fields, id patterns, enums, date format),
 * plus the rules a schema cannot say: unique ids, relationships to existing elements, valid
 * license expressions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { toSpdxDocument, toSpdxJson } from '../../src/report/spdx.ts';
import { fixtureSbom } from './sbom-fixture.ts';

const DATE = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$';
const SCHEMA = {
  type: 'object',
  required: ['spdxVersion', 'dataLicense', 'SPDXID', 'name', 'documentNamespace', 'creationInfo'],
  properties: {
    spdxVersion: { const: 'SPDX-2.3' },
    dataLicense: { const: 'CC0-1.0' },
    SPDXID: { const: 'SPDXRef-DOCUMENT' },
    name: { type: 'string', minLength: 1 },
    documentNamespace: { type: 'string', pattern: '^[a-z]+://[^#\\s]+$' },
    creationInfo: {
      type: 'object',
      required: ['created', 'creators'],
      additionalProperties: false,
      properties: { created: { type: 'string', pattern: DATE }, creators: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(Tool|Person|Organization): .+' } } },
    },
    packages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['SPDXID', 'name', 'downloadLocation'],
        additionalProperties: false,
        properties: {
          SPDXID: { type: 'string', pattern: '^SPDXRef-[a-zA-Z0-9.-]+$' },
          name: { type: 'string', minLength: 1 },
          versionInfo: { type: 'string' },
          downloadLocation: { type: 'string' },
          filesAnalyzed: { type: 'boolean' },
          licenseConcluded: { type: 'string' },
          licenseDeclared: { type: 'string' },
          copyrightText: { type: 'string' },
          sourceInfo: { type: 'string' },
          supplier: { type: 'string' },
          comment: { type: 'string' },
          primaryPackagePurpose: { enum: ['OTHER', 'INSTALL', 'ARCHIVE', 'FIRMWARE', 'APPLICATION', 'FRAMEWORK', 'LIBRARY', 'CONTAINER', 'SOURCE', 'DEVICE', 'OPERATING-SYSTEM', 'FILE'] },
          externalRefs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['referenceCategory', 'referenceLocator', 'referenceType'],
              additionalProperties: false,
              properties: {
                referenceCategory: { enum: ['OTHER', 'PERSISTENT-ID', 'PERSISTENT_ID', 'SECURITY', 'PACKAGE-MANAGER', 'PACKAGE_MANAGER'] },
                referenceLocator: { type: 'string', pattern: '^\\S+$' },
                referenceType: { type: 'string' },
              },
            },
          },
        },
      },
    },
    relationships: {
      type: 'array',
      items: {
        type: 'object',
        required: ['spdxElementId', 'relationshipType', 'relatedSpdxElement'],
        additionalProperties: false,
        properties: { spdxElementId: { type: 'string' }, relatedSpdxElement: { type: 'string' }, relationshipType: { enum: ['DESCRIBES', 'CONTAINS', 'DEPENDS_ON'] } },
      },
    },
    hasExtractedLicensingInfos: {
      type: 'array',
      items: {
        type: 'object',
        required: ['extractedText', 'licenseId'],
        additionalProperties: false,
        properties: { licenseId: { type: 'string', pattern: '^LicenseRef-[A-Za-z0-9.-]+$' }, extractedText: { type: 'string' }, name: { type: 'string' } },
      },
    },
  },
};

test('SPDX 2.3: schema-valid, ids unique, relationships resolve, licenses are valid expressions', () => {
  const text = toSpdxJson(fixtureSbom(), { uuid: '3e671687-395b-41f5-a30f-a58921a69b79', created: new Date(0) });
  const doc = JSON.parse(text) as ReturnType<typeof toSpdxDocument>;
  const validate = new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);
  assert.ok(validate(doc), JSON.stringify(validate.errors));
  assert.equal(doc.creationInfo.created, '1970-01-01T00:00:00Z');
  assert.match(doc.documentNamespace, /3e671687-395b-41f5-a30f-a58921a69b79$/);
  const ids = doc.packages.map((p) => p.SPDXID);
  assert.equal(new Set(ids).size, ids.length);
  const known = new Set([...ids, 'SPDXRef-DOCUMENT']);
  for (const r of doc.relationships) assert.ok(known.has(r.spdxElementId) && known.has(r.relatedSpdxElement), JSON.stringify(r));
  const described = doc.relationships.filter((r) => r.relationshipType === 'DESCRIBES');
  assert.deepEqual(described.map((r) => r.relatedSpdxElement), ['SPDXRef-Image']);
  assert.equal(doc.relationships.filter((r) => r.relationshipType === 'CONTAINS').length, 10); // OS + 9 packages
  const refs = new Set((doc.hasExtractedLicensingInfos ?? []).map((l) => l.licenseId));
  for (const p of doc.packages) {
    const decl = p.licenseDeclared;
    if (decl === 'NOASSERTION') continue;
    for (const tok of decl.replace(/[()]/g, ' ').split(/\s+/).filter(Boolean)) {
      if (/^(AND|OR|WITH)$/.test(tok)) continue;
      assert.ok(CDX.SPDX.isSupportedSpdxId(tok) || refs.has(tok), `${p.name}: ${tok} in "${decl}"`);
    }
  }
  const byName = (n: string) => doc.packages.find((p) => p.name === n)!;
  assert.equal(byName('requests').licenseDeclared, 'LicenseRef-Apache-2.0');
  assert.equal(byName('node').licenseDeclared, 'MIT AND LicenseRef-Some-Custom-License');
  assert.equal(byName('dual').licenseDeclared, 'MIT OR Apache-2.0');
  assert.deepEqual(byName('libc6').externalRefs, [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12' }]);
  assert.equal(byName('libc6').versionInfo, '2.36-9+deb12u4');
  assert.equal(byName('debian').primaryPackagePurpose, 'OPERATING-SYSTEM');
});
