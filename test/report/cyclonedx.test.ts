/** CycloneDX 1.6 output: valid against the spec's JSON schema, with everything a consumer needs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { toCycloneDxJson } from '../../src/report/cyclonedx.ts';
import { fixtureSbom } from './sbom-fixture.ts';

interface Component {
  'bom-ref': string;
  type: string;
  name: string;
  group?: string;
  version?: string;
  purl?: string;
  licenses?: ({ license: { id?: string; name?: string } } | { expression: string })[];
  properties?: { name: string; value: string }[];
}

test('CycloneDX: validates against the 1.6 schema (strict) and carries image, OS, purls, licenses, locations', async () => {
  const text = toCycloneDxJson(fixtureSbom(), { serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79', timestamp: new Date(0) });
  const errors = await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text);
  assert.equal(errors, null, JSON.stringify(errors));
  const bom = JSON.parse(text) as { specVersion: string; serialNumber: string; metadata: { timestamp: string; component: Component }; components: Component[]; dependencies: { ref: string; dependsOn?: string[] }[] };
  assert.equal(bom.specVersion, '1.6');
  assert.equal(bom.metadata.timestamp, '1970-01-01T00:00:00.000Z');
  assert.equal(bom.metadata.component.type, 'container');
  assert.equal(bom.metadata.component.name, 'oci-archive:app.tar');
  const os = bom.components.find((c) => c.type === 'operating-system')!;
  assert.deepEqual([os.name, os.version], ['debian', '12']);
  const libs = bom.components.filter((c) => c.type === 'library');
  assert.equal(libs.length, 9);
  // Same purl twice (two node_modules copies): both kept, bom-refs unique.
  const pads = libs.filter((c) => c.name === 'left-pad');
  assert.equal(pads.length, 2);
  assert.notEqual(pads[0]!['bom-ref'], pads[1]!['bom-ref']);
  assert.equal(new Set(bom.components.map((c) => c['bom-ref'])).size, bom.components.length);
  const libc = libs.find((c) => c.name === 'libc6')!;
  assert.equal(libc.purl, 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12');
  assert.deepEqual(libc.properties?.filter((p) => p.name === 'distill:location').map((p) => p.value), ['/var/lib/dpkg/status']);
  assert.equal(libc.properties?.find((p) => p.name === 'distill:source:name')?.value, 'glibc');
  const lang = libs.find((c) => c.name === 'commons-lang3')!;
  assert.equal(lang.group, 'org.apache.commons');
  assert.deepEqual(libs.find((c) => c.name === '@babel/core')!.licenses, [{ license: { id: 'MIT' } }]);
  assert.deepEqual(libs.find((c) => c.name === 'requests')!.licenses, [{ license: { name: 'Apache 2.0' } }]);
  assert.deepEqual(libs.find((c) => c.name === 'dual')!.licenses, [{ expression: 'MIT OR Apache-2.0' }]);
  const root = bom.dependencies.find((d) => d.ref === bom.metadata.component['bom-ref'])!;
  assert.equal(root.dependsOn?.length, bom.components.length);
});

test('CycloneDX: an empty SBOM of a directory is still valid', async () => {
  const text = toCycloneDxJson({ source: { type: 'directory', name: '/rootfs' }, packages: [], warnings: [] });
  assert.equal(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text), null);
  const bom = JSON.parse(text) as { serialNumber: string; metadata: { component: { type: string } } };
  assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/);
  assert.equal(bom.metadata.component.type, 'application');
});
