/**
 * Every SBOM format distill writes is valid for every kind of image: a dpkg, apk, rpm, npm,
 * Python, Go and Java image, each built here from files real tools wrote (rpm's own database, a
 * Go binary from Debian's go, a jar from the JDK's jar tool), checked against the SPDX 2.3 JSON
 * schema and CycloneDX 1.6 (strict). The scan of each image is too: against a DB of one OSV
 * record per package found (affecting exactly its installed version), its CycloneDX 1.6 output
 * with every vulnerability must validate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sbomFromImage, type Sbom } from '../../src/analyze/sbom.ts';
import { toCycloneDxJson } from '../../src/report/cyclonedx.ts';
import { toSpdxJson } from '../../src/report/spdx.ts';
import { makeImage, tempDir, type TestEntry } from '../helpers/images.ts';
import type { Image } from '../../src/oci/image.ts';
import { importOsv, openOsvDb } from '../../src/vuln/db.ts';
import { packageInputs, scanImage, type ImageScan } from '../../src/vuln/image.ts';
import { scanToCycloneDxJson } from '../../src/report/scan-cyclonedx.ts';
import { assertValidCycloneDx, assertValidSpdx } from '../report/schemas.ts';

const file = (name: string, content: string | Buffer, mode = 0o644): TestEntry => ({ name, content, mode });

/** Scans `image` against a DB with one record per package it holds; validates the scan's CycloneDX. */
async function checkScanFormat(image: Image, name: string): Promise<ImageScan> {
  const sbom = await sbomFromImage(image, name);
  const { inputs } = packageInputs(sbom);
  assert.ok(inputs.length > 0, `${name}: no package a scan can match`);
  const dir = tempDir('distill-scan-formats-');
  mkdirSync(join(dir, 'records'));
  inputs.forEach((p, i) => {
    const affected = { package: { ecosystem: p.ecosystem, name: p.source?.name ?? p.name }, versions: [p.source?.version ?? p.version] };
    writeFileSync(join(dir, 'records', `r${i}.json`), JSON.stringify({ id: `TEST-${name}-${i}`, modified: '2026-11-30T00:00:00Z', aliases: [`CVE-2026-${1000 + i}`], summary: `flaw in ${p.name}`, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }], affected: [affected] }));
  });
  await importOsv([join(dir, 'records')], { dir: join(dir, 'db') });
  const scan = await scanImage(image, name, { db: await openOsvDb(join(dir, 'db')) });
  // Every package is either matched or skipped with its reason (an OSV release distill cannot name).
  assert.equal(scan.vulnerabilities.length + scan.skipped.length, inputs.length, `${name}: ${JSON.stringify(scan.skipped)}`);
  await assertValidCycloneDx(scanToCycloneDxJson(scan));
  return scan;
}

async function checkFormats(entries: TestEntry[], name: string, opts: { matches?: boolean } = {}): Promise<Sbom & { scan: ImageScan }> {
  const image = await makeImage([entries]);
  const s = await sbomFromImage(image, name);
  assert.ok(s.packages.length > 0, `${name}: no packages`);
  const spdx = JSON.parse(toSpdxJson(s)) as { packages: { SPDXID: string; primaryPackagePurpose?: string }[] };
  assertValidSpdx(spdx);
  if (s.distro) assert.equal(spdx.packages.find((p) => p.SPDXID === 'SPDXRef-OperatingSystem')!.primaryPackagePurpose, 'OPERATING_SYSTEM');
  await assertValidCycloneDx(toCycloneDxJson(s));
  const scan = await checkScanFormat(image, name);
  if (opts.matches !== false) assert.ok(scan.vulnerabilities.length >= 1, `${name}: the scan matched nothing`);
  return { ...s, scan };
}

test('dpkg image (Ubuntu, with a DEP-5 copyright file): SPDX 2.3 and CycloneDX 1.6 valid', async () => {
  const s = await checkFormats(
    [
      file('etc/os-release', 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\n'),
      file('var/lib/dpkg/status', 'Package: libssl3t64\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.13-0ubuntu3.1\n\nPackage: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.21-2ubuntu4\n'),
      file('usr/share/doc/libssl3t64/copyright', 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 1998-2024 The OpenSSL Project\nLicense: Apache-2.0\n'),
    ],
    'dpkg',
  );
  const ssl = s.packages.find((p) => p.name === 'libssl3t64')!;
  assert.equal(ssl.purl, 'pkg:deb/ubuntu/libssl3t64@3.0.13-0ubuntu3.1?arch=amd64&distro=ubuntu-24.04&upstream=openssl');
  assert.deepEqual(ssl.licenses, ['Apache-2.0']);
});

test('apk image: SPDX 2.3 and CycloneDX 1.6 valid', async () => {
  await checkFormats(
    [
      file('etc/os-release', 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'),
      file('lib/apk/db/installed', 'C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nL:MIT\no:musl\n\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\n'),
    ],
    'apk',
  );
});

test('rpm image (RHEL os-release, rpmdb.sqlite written by rpm): vendor namespace redhat; SPDX and CycloneDX valid', async () => {
  const dir = tempDir('distill-rpmfmt-');
  const db = join(dir, 'db');
  mkdirSync(db, { recursive: true });
  execFileSync('rpm', ['--initdb', '--dbpath', db, '--define', '_db_backend sqlite']);
  mkdirSync(join(dir, 'top/SPECS'), { recursive: true });
  writeFileSync(join(dir, 'top/SPECS/t.spec'), 'Name: distill-tzdata\nVersion: 2024a\nRelease: 1.el9\nSummary: t\nLicense: Public Domain\nBuildArch: noarch\n%description\nt\n%files\n');
  execFileSync('rpmbuild', ['--define', `_topdir ${join(dir, 'top')}`, '-bb', join(dir, 'top/SPECS/t.spec')], { stdio: 'ignore' });
  execFileSync('rpm', ['-i', '--dbpath', db, '--define', '_db_backend sqlite', '--nodeps', '--justdb', '--ignoreos', '--ignorearch', join(dir, 'top/RPMS/noarch/distill-tzdata-2024a-1.el9.noarch.rpm')], { stdio: 'ignore' });
  const s = await checkFormats(
    [file('etc/os-release', 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n'), file('var/lib/rpm/rpmdb.sqlite', readFileSync(join(db, 'rpmdb.sqlite')))],
    'rpm',
    { matches: false },
  );
  assert.equal(s.packages[0]!.purl, 'pkg:rpm/redhat/distill-tzdata@2024a-1.el9?arch=noarch&distro=rhel-9.4');
  // OSV names Red Hat releases by product stream, which an os-release does not give: skipped, said, never a silent 0.
  assert.deepEqual(s.scan.skipped.map((k) => k.package.name), ['distill-tzdata']);
  assert.ok(s.scan.skipped[0]!.reason.length > 0);
  // The same rpm database under Rocky Linux, whose OSV release is its major version: matched.
  const rocky = await checkFormats([file('etc/os-release', 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.4"\n'), file('var/lib/rpm/rpmdb.sqlite', readFileSync(join(db, 'rpmdb.sqlite')))], 'rpm-rocky');
  assert.equal(rocky.scan.vulnerabilities[0]!.package.ecosystem, 'Rocky Linux:9');
});

test('npm image: SPDX 2.3 and CycloneDX 1.6 valid', async () => {
  await checkFormats(
    [
      file('app/package.json', '{"name":"web","version":"1.0.0","license":"UNLICENSED"}'),
      file('app/node_modules/@fastify/cors/package.json', '{"name":"@fastify/cors","version":"9.0.1","license":"MIT"}'),
      file('app/node_modules/old/package.json', '{"name":"old","version":"0.1.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}'),
    ],
    'npm',
  );
});

test('Python image: SPDX 2.3 and CycloneDX 1.6 valid', async () => {
  const s = await checkFormats(
    [
      file('usr/local/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA', 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n'),
      file('usr/local/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA', 'Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n'),
    ],
    'python',
  );
  assert.deepEqual(s.packages.find((p) => p.name === 'six')!.licenses, ['MIT']);
});

test('Go image (binary built here with -ldflags -X main.version): SPDX 2.3 and CycloneDX 1.6 valid', async () => {
  const dir = tempDir('distill-gofmt-');
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src/go.mod'), 'module example.com/svc\n\ngo 1.19\n');
  writeFileSync(join(dir, 'src/main.go'), 'package main\n\nvar version = "dev"\n\nfunc main() { println(version) }\n');
  const out = join(dir, 'svc');
  execFileSync('go', ['build', '-ldflags', '-X main.version=v1.0.0', '-o', out, '.'], {
    cwd: join(dir, 'src'),
    env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOCACHE: join(dir, 'cache'), GOPATH: join(dir, 'gopath'), CGO_ENABLED: '0' },
  });
  const s = await checkFormats([file('usr/local/bin/svc', readFileSync(out), 0o755)], 'go');
  assert.equal(s.packages.find((p) => p.name === 'example.com/svc')!.version, 'v1.0.0');
});

test('Java image (jar from the jar tool): SPDX 2.3 and CycloneDX 1.6 valid', async () => {
  const dir = tempDir('distill-javafmt-');
  mkdirSync(join(dir, 'src/META-INF/maven/org.example/app'), { recursive: true });
  writeFileSync(join(dir, 'src/META-INF/maven/org.example/app/pom.properties'), 'groupId=org.example\nartifactId=app\nversion=1.4.2\n');
  execFileSync('jar', ['--create', '--file', join(dir, 'app.jar'), '-C', join(dir, 'src'), '.']);
  const s = await checkFormats([file('app/app.jar', readFileSync(join(dir, 'app.jar')))], 'java');
  assert.equal(s.packages[0]!.purl, 'pkg:maven/org.example/app@1.4.2');
});
