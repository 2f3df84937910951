/** Scan results as CycloneDX 1.6: valid, and each rating's method names its CVSS vector's version. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanToCycloneDxJson } from '../../src/report/scan-cyclonedx.ts';
import type { ImageScan } from '../../src/vuln/image.ts';
import type { Vuln } from '../../src/vuln/matcher.ts';
import { fixtureSbom } from './sbom-fixture.ts';
import { assertValidCycloneDx } from './schemas.ts';

const V31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V30 = 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

function vuln(id: string, severity: Vuln['severity']): Vuln {
  return {
    id,
    aliases: [],
    cves: [],
    package: { name: 'libc6', version: '2.36-9+deb12u4', ecosystem: 'Debian:12', purl: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12' },
    installedVersion: '2.36-9+deb12u4',
    fixedVersions: [],
    severity,
    summary: `${id} summary`,
    modified: '2024-01-01T00:00:00Z',
  };
}

test('scan CycloneDX: rating method follows the vector version (CVSSv31, CVSSv3, CVSSv4), whoever chose the level', async () => {
  const sbom = fixtureSbom();
  const scan = {
    db: null,
    packages: sbom.packages.length,
    vulnerabilities: [
      // The advisory's own word set the level; the score still came from a v3.1 / v4.0 vector.
      vuln('DSA-0001-1', { level: 'high', score: 9.8, vector: V31, source: 'advisory' }),
      vuln('DLA-0002-1', { level: 'critical', score: 9.3, vector: V40, source: 'debian-urgency' }),
      vuln('CVE-2024-0003', { level: 'critical', score: 9.1, vector: V30, source: 'cvss_v3' }),
      vuln('CVE-2024-0004', { level: 'critical', score: 9.3, vector: V40, source: 'cvss_v4' }),
      vuln('CVE-2024-0005', { level: 'unknown', source: 'none' }),
    ],
    ignored: [],
    filtered: 0,
    skipped: [],
    counts: { unknown: 1, none: 0, low: 0, medium: 0, high: 1, critical: 3 },
    totals: {},
    warnings: [],
    image: { name: 'oci-archive:app.tar' },
    unmatched: [],
    sbomWarnings: [],
    sbom,
  } as unknown as ImageScan;
  const text = scanToCycloneDxJson(scan, { serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79', timestamp: new Date(0) });
  await assertValidCycloneDx(text);
  const bom = JSON.parse(text) as { vulnerabilities: { id: string; ratings: { method: string; vector?: string }[] }[] };
  const method = (id: string) => bom.vulnerabilities.find((v) => v.id === id)!.ratings[0]!.method;
  assert.equal(method('DSA-0001-1'), 'CVSSv31');
  assert.equal(method('DLA-0002-1'), 'CVSSv4');
  assert.equal(method('CVE-2024-0003'), 'CVSSv3');
  assert.equal(method('CVE-2024-0004'), 'CVSSv4');
  assert.equal(method('CVE-2024-0005'), 'other');
});
