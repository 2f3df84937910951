/**
 * SPDX 2.3 output, validated against the SPDX project's own 2.3 JSON schema (vendored in
 * test/fixtures/schemas), plus the rules a schema cannot say: unique ids, relationships to
 * existing elements, valid license expressions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { toSpdxDocument, toSpdxJson } from '../../src/report/spdx.ts';
import { fixtureSbom } from './sbom-fixture.ts';
import { assertValidSpdx, validateSpdx } from './schemas.ts';

test('SPDX 2.3: schema-valid, ids unique, relationships resolve, licenses are valid expressions', () => {
  const text = toSpdxJson(fixtureSbom(), { uuid: '3e671687-395b-41f5-a30f-a58921a69b79', created: new Date(0) });
  const doc = JSON.parse(text) as ReturnType<typeof toSpdxDocument>;
  assertValidSpdx(doc);
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
  assert.equal(byName('debian').primaryPackagePurpose, 'OPERATING_SYSTEM');
});

test('SPDX 2.3 schema: the operating system purpose is OPERATING_SYSTEM; the hyphenated form is rejected', () => {
  const doc = toSpdxDocument(fixtureSbom(), { uuid: '3e671687-395b-41f5-a30f-a58921a69b79', created: new Date(0) });
  assertValidSpdx(doc);
  const os = doc.packages.find((p) => p.SPDXID === 'SPDXRef-OperatingSystem')!;
  assert.equal(os.primaryPackagePurpose, 'OPERATING_SYSTEM');
  const bad = structuredClone(doc);
  bad.packages.find((p) => p.SPDXID === 'SPDXRef-OperatingSystem')!.primaryPackagePurpose = 'OPERATING-SYSTEM';
  assert.equal(validateSpdx(bad), false);
  assert.equal(validateSpdx({ ...doc, spdxVersion: undefined }), false);
});
