/** Catalogers over files written here (and real tools' outputs: rpm, go, jar, node). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDebianCopyright, parseDpkgStatus } from '../../src/analyze/catalogers/dpkg.ts';
import { toCycloneDxJson } from '../../src/report/cyclonedx.ts';
import { toSpdxDocument } from '../../src/report/spdx.ts';
import { assertValidCycloneDx, assertValidSpdx } from '../report/schemas.ts';
import { parseApkInstalled } from '../../src/analyze/catalogers/apk.ts';
import { parsePackageJson } from '../../src/analyze/catalogers/npm.ts';
import { parsePythonMetadata } from '../../src/analyze/catalogers/python.ts';
import { GoScanner, ldflagsVersion, parseModInfo, readGoBuildInfo, goPackages } from '../../src/analyze/catalogers/go.ts';
import { NodeScanner, nodeVersionFromBinary } from '../../src/analyze/catalogers/nodebin.ts';
import type { StreamScanner } from '../../src/analyze/package.ts';
import { parseRpmHeader } from '../../src/analyze/catalogers/rpm.ts';
import { detectDistro, parseOsRelease } from '../../src/analyze/osrelease.ts';
import { sbomFromDirectory } from '../../src/analyze/sbom.ts';
import { rpmNamespace, type CatalogContext, type Package } from '../../src/analyze/package.ts';
import { tempDir } from '../helpers/images.ts';

function ctx(distro?: CatalogContext['distro']): CatalogContext & { warnings: string[] } {
  const warnings: string[] = [];
  return { distro, warnings, warn: (m) => warnings.push(m) };
}

function put(root: string, path: string, content: string | Buffer, mode = 0o644): void {
  const f = join(root, path);
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, content);
  chmodSync(f, mode);
}

/** Feeds a buffer to a scanner in chunks of `size` bytes, as a tar stream would. */
async function scanInChunks(s: StreamScanner, b: Buffer, size: number): Promise<Package[]> {
  for (let o = 0; o < b.length; o += size) if (!s.write(b.subarray(o, o + size))) break;
  return s.end();
}

const ids = (ps: Package[]) => ps.map((p) => `${p.type}:${p.name}@${p.version}`).sort();

const bookworm = { id: 'debian', versionId: '12', codename: 'bookworm' };

test('os-release: quoted values, fallbacks to /usr/lib/os-release, debian_version, alpine-release', () => {
  const d = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n');
  assert.deepEqual(d, { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  assert.deepEqual(detectDistro(new Map([['/usr/lib/os-release', "ID='alpine'\nVERSION_ID=3.19.1\n"]])), { id: 'alpine', versionId: '3.19.1' });
  assert.deepEqual(detectDistro(new Map([['/etc/debian_version', '12.5\n']])), { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12.5' });
  assert.equal(detectDistro(new Map([['/etc/debian_version', 'trixie/sid\n']]))?.versionId, undefined);
  assert.deepEqual(detectDistro(new Map([['/etc/alpine-release', '3.20.0\n']])), { id: 'alpine', versionId: '3.20.0', prettyName: 'Alpine Linux v3.20.0' });
  assert.equal(detectDistro(new Map([['/etc/os-release', 'NAME=nothing\n']])), undefined);
});

test('dpkg status: only installed stanzas; Source with and without version; purl with arch and distro', () => {
  const text = [
    'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\nDescription: GNU C Library\n multi-line\n .\n more',
    'Package: removed-pkg\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0-1',
    'Package: libpcre2-8-0\nStatus: install ok installed\nArchitecture: amd64\nSource: pcre2 (10.42-1+b1)\nVersion: 10.42-1+b1',
    'Package: half\nStatus: install ok half-configured\nVersion: 1',
    'Package: halfinst\nStatus: install reinstreq half-installed\nVersion: 1',
    'Package: cfg\nStatus: install ok config-files\nVersion: 1',
    'Package: held\nStatus: hold ok installed\nArchitecture: all\nVersion: 3-1',
    'Package: leaving\nStatus: deinstall ok installed\nArchitecture: all\nVersion: 4-1',
    'Package: e2fsprogs\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.47.0-2',
  ].join('\n\n');
  const c = ctx(bookworm);
  const ps = parseDpkgStatus(text, '/var/lib/dpkg/status', c);
  assert.deepEqual(ids(ps), ['deb:e2fsprogs@1:1.47.0-2', 'deb:half@1', 'deb:held@3-1', 'deb:libc6@2.36-9+deb12u4', 'deb:libpcre2-8-0@10.42-1+b1']);
  const libc = ps.find((p) => p.name === 'libc6')!;
  assert.equal(libc.purl, 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12&upstream=glibc');
  assert.equal(libc.sourceName, 'glibc');
  assert.equal(libc.sourceVersion, '2.36-9+deb12u4');
  const pcre = ps.find((p) => p.name === 'libpcre2-8-0')!;
  assert.deepEqual([pcre.sourceName, pcre.sourceVersion], ['pcre2', '10.42-1+b1']);
  assert.equal(pcre.purl, 'pkg:deb/debian/libpcre2-8-0@10.42-1+b1?arch=amd64&distro=debian-12&upstream=pcre2');
  assert.match(ps.find((p) => p.name === 'e2fsprogs')!.purl, /^pkg:deb\/debian\/e2fsprogs@1:1\.47\.0-2\?/);
  assert.deepEqual(c.warnings, []);
});

test('dpkg: a stanza without Source: is its own source (name and version, as dpkg-query says); binNMU versions go into upstream', () => {
  const text = [
    'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b7',
    'Package: libbinnmu1\nStatus: install ok installed\nArchitecture: amd64\nSource: libbinnmu (1.0-1)\nVersion: 1.0-1+b2',
    'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1',
  ].join('\n\n');
  const ps = parseDpkgStatus(text, '/var/lib/dpkg/status', ctx(bookworm));
  const bash = ps.find((p) => p.name === 'bash')!;
  assert.deepEqual([bash.sourceName, bash.sourceVersion], ['bash', '5.2.15-2+b7']);
  assert.equal(bash.purl, 'pkg:deb/debian/bash@5.2.15-2+b7?arch=amd64&distro=debian-12');
  const nmu = ps.find((p) => p.name === 'libbinnmu1')!;
  assert.equal(nmu.purl, 'pkg:deb/debian/libbinnmu1@1.0-1+b2?arch=amd64&distro=debian-12&upstream=libbinnmu%401.0-1');
  assert.match(ps.find((p) => p.name === 'zlib1g')!.purl, /&upstream=zlib$/);
  // The writers carry the source: CycloneDX as properties, SPDX in sourceInfo.
  const sbom = { source: { type: 'directory' as const, name: '/r' }, distro: bookworm, packages: ps, warnings: [] };
  const bom = JSON.parse(toCycloneDxJson(sbom)) as { components: { name: string; properties: { name: string; value: string }[] }[] };
  const props = bom.components.find((c) => c.name === 'bash')!.properties;
  assert.deepEqual(props.filter((x) => x.name.startsWith('distill:source:')).map((x) => x.value), ['bash', '5.2.15-2+b7']);
  const spdx = toSpdxDocument(sbom);
  assert.match(spdx.packages.find((p) => p.name === 'bash')!.sourceInfo!, /source package bash 5\.2\.15-2\+b7/);
});

test('dpkg without os-release: an Ubuntu root (debian_version "trixie/sid") is not labelled debian; lsb-release names it', () => {
  assert.equal(detectDistro(new Map([['/etc/debian_version', 'trixie/sid\n']])), undefined);
  assert.deepEqual(detectDistro(new Map([['/etc/debian_version', 'bookworm/sid\n'], ['/etc/lsb-release', 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.4 LTS"\n']])), { id: 'ubuntu', versionId: '22.04', codename: 'jammy', prettyName: 'Ubuntu 22.04.4 LTS' });
  const c = ctx(undefined);
  const [p] = parseDpkgStatus('Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.21-2ubuntu4\n', '/var/lib/dpkg/status', c);
  assert.equal(p!.purl, 'pkg:deb/bash@5.2.21-2ubuntu4?arch=amd64');
  assert.doesNotMatch(p!.purl, /debian/);
  assert.match(c.warnings.join('\n'), /distribution is unknown/);
  const u = parseDpkgStatus('Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.21-2ubuntu4\n', '/var/lib/dpkg/status', ctx({ id: 'ubuntu', versionId: '24.04' }));
  assert.equal(u[0]!.purl, 'pkg:deb/ubuntu/bash@5.2.21-2ubuntu4?arch=amd64&distro=ubuntu-24.04');
});

test('dpkg licenses from DEP-5 /usr/share/doc/<pkg>/copyright; free-form files give none', async () => {
  const dep5 = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: zlib\nSource: https://zlib.net/',
    'Files: *\nCopyright: 1995-2022 Jean-loup Gailly and Mark Adler\nLicense: Zlib',
    'Files: contrib/dotzlib/*\nCopyright: 2004 Henrik Ravn\nLicense: BSL-1.0',
    'Files: debian/*\nCopyright: 2000-2023 Mark Brown\nLicense: GPL-2+ or Artistic',
    'License: Zlib\n This software is provided \'as-is\', without any express or implied\n warranty.',
    'License: GPL-2+\n This program is free software.\n .\n On Debian systems, see /usr/share/common-licenses/GPL-2.',
  ].join('\n\n');
  assert.deepEqual(parseDebianCopyright(dep5), ['BSL-1.0', 'GPL-2.0-or-later OR Artistic-1.0-Perl', 'Zlib']);
  assert.equal(parseDebianCopyright('This is Debian\'s prepackaged version of bash.\n\nCopyright (C) 1987-2022 Free Software Foundation, Inc.\n'), undefined);
  const root = tempDir('distill-dep5-');
  put(root, 'etc/os-release', 'ID=debian\nVERSION_ID="12"\n');
  put(root, 'var/lib/dpkg/status', 'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n\nPackage: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b7\n');
  put(root, 'usr/share/doc/zlib1g/copyright', dep5);
  put(root, 'usr/share/doc/bash/copyright', 'This is Debian\'s prepackaged version of bash.\n');
  const s = await sbomFromDirectory(root);
  assert.deepEqual(s.packages.find((p) => p.name === 'zlib1g')!.licenses, ['BSL-1.0', 'GPL-2.0-or-later OR Artistic-1.0-Perl', 'Zlib']);
  assert.equal(s.packages.find((p) => p.name === 'bash')!.licenses, undefined);
  assertValidSpdx(toSpdxDocument(s));
  await assertValidCycloneDx(toCycloneDxJson(s));
});

test('rpm purl vendor from os-release ID: rhel is redhat, openSUSE flavours are opensuse, others as written', () => {
  const ns = (id: string) => rpmNamespace({ id });
  assert.deepEqual(['rhel', 'opensuse-leap', 'opensuse-tumbleweed', 'centos', 'fedora', 'amzn', 'rocky', 'sles'].map(ns), ['redhat', 'opensuse', 'opensuse', 'centos', 'fedora', 'amzn', 'rocky', 'sles']);
  assert.equal(rpmNamespace(undefined), undefined);
});

test('dpkg: a broken status file is a warning, not a crash', () => {
  const c = ctx();
  assert.deepEqual(parseDpkgStatus('garbage line without colon\n', '/var/lib/dpkg/status', c), []);
  assert.equal(c.warnings.length, 1);
});

test('apk installed db: name, version, arch, license, origin; purl with alpine distro', () => {
  const text = 'C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nS:383152\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\n\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\nF:usr/lib\n';
  const ps = parseApkInstalled(text, '/lib/apk/db/installed', ctx({ id: 'alpine', versionId: '3.19.1' }));
  assert.deepEqual(ids(ps), ['apk:libcrypto3@3.1.4-r5', 'apk:musl@1.2.4_git20230717-r4']);
  const c = ps.find((p) => p.name === 'libcrypto3')!;
  assert.equal(c.purl, 'pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1');
  assert.deepEqual(c.licenses, ['Apache-2.0']);
  assert.deepEqual([c.sourceName, c.sourceVersion], ['openssl', '3.1.4-r5']);
});

test('npm package.json: scoped purl, license forms, non-roots skipped, bad JSON warned', () => {
  const c = ctx();
  const [a] = parsePackageJson(JSON.stringify({ name: '@babel/core', version: '7.24.0', license: 'MIT' }), '/app/node_modules/@babel/core/package.json', c);
  assert.equal(a!.purl, 'pkg:npm/%40babel/core@7.24.0');
  assert.deepEqual(a!.licenses, ['MIT']);
  const [b] = parsePackageJson(JSON.stringify({ name: 'old', version: '0.1.0', licenses: [{ type: 'BSD' }, { type: 'GPL-2.0' }] }), '/x/node_modules/old/package.json', c);
  // The old `licenses` array lists the licenses a package is offered under: alternatives.
  assert.deepEqual(b!.licenses, ['BSD OR GPL-2.0']);
  const [d] = parsePackageJson(JSON.stringify({ name: 'dual', version: '1.0.0', licenses: [{ type: 'MIT', url: 'x' }, { type: 'Apache-2.0', url: 'y' }] }), '/x/node_modules/dual/package.json', c);
  assert.deepEqual(d!.licenses, ['MIT OR Apache-2.0']);
  const sd = toSpdxDocument({ source: { type: 'directory', name: '/r' }, packages: [d!], warnings: [] });
  assert.equal(sd.packages.find((p) => p.name === 'dual')!.licenseDeclared, 'MIT OR Apache-2.0');
  assert.deepEqual(parsePackageJson('{"type":"module"}', '/x/node_modules/old/esm/package.json', c), []);
  assert.deepEqual(parsePackageJson('{"name":"x"}', '/x/node_modules/x/package.json', c), []);
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(parsePackageJson('{nope', '/x/node_modules/y/package.json', c), []);
  assert.equal(c.warnings.length, 1);
});

test('python METADATA / PKG-INFO: name kept, purl normalized, license sources', () => {
  const c = ctx();
  const [p] = parsePythonMetadata('Metadata-Version: 2.1\nName: Foo_Bar.baz\nVersion: 1.0.0\nLicense: BSD-3-Clause\n\nLicense: not this\n', '/s/Foo_Bar.baz-1.0.0.dist-info/METADATA', c);
  assert.equal(p!.name, 'Foo_Bar.baz');
  assert.equal(p!.purl, 'pkg:pypi/foo-bar-baz@1.0.0');
  assert.deepEqual(p!.licenses, ['BSD-3-Clause']);
  const [q] = parsePythonMetadata('Metadata-Version: 2.4\nName: q\nVersion: 2\nLicense-Expression: MIT OR Apache-2.0\n', '/m', c);
  assert.deepEqual(q!.licenses, ['MIT OR Apache-2.0']);
  const [r] = parsePythonMetadata('Name: r\nVersion: 3\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n', '/m', c);
  assert.deepEqual(r!.licenses, ['MIT']);
  const [u] = parsePythonMetadata('Metadata-Version: 2.1\nName: u\nVersion: 1\nLicense: UNKNOWN\nClassifier: Development Status :: 5 - Production/Stable\nClassifier: License :: OSI Approved\nClassifier: License :: OSI Approved :: Apache Software License\nClassifier: License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)\nClassifier: Programming Language :: Python :: 3\n', '/m', c);
  assert.deepEqual(u!.licenses, ['Apache-2.0 OR GPL-2.0-or-later']);
  const [o] = parsePythonMetadata('Name: o\nVersion: 1\nClassifier: License :: Other/Proprietary License\n', '/m', c);
  assert.deepEqual(o!.licenses, ['Other/Proprietary License']);
  assert.deepEqual(parsePythonMetadata('Name: r\n', '/m', c), []);
  assert.equal(c.warnings.length, 1);
});

test('Go module info: main, deps, replacements with and without version', () => {
  const info = parseModInfo(
    'go1.21.5',
    'path\texample.com/app/cmd/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.0\th1:abc=\n=>\tgolang.org/x/text\tv0.14.0\th1:def=\ndep\texample.com/local\tv1.0.0\n=>\t../local\t(devel)\t\nbuild\t-compiler=gc\nbuild\tGOOS=linux\n',
  );
  assert.equal(info.path, 'example.com/app/cmd/app');
  assert.equal(info.settings.GOOS, 'linux');
  const ps = goPackages(info, '/app');
  assert.deepEqual(ids(ps), ['golang:example.com/app@(devel)', 'golang:example.com/local@(devel)', 'golang:golang.org/x/text@v0.14.0', 'golang:stdlib@1.21.5']);
  assert.equal(ps.find((p) => p.name === 'stdlib')!.purl, 'pkg:golang/stdlib@1.21.5');
  assert.equal(ps.find((p) => p.name === 'example.com/app')!.purl, 'pkg:golang/example.com/app');
  assert.equal(ps.find((p) => p.name === 'golang.org/x/text')!.metadata!.replaces, 'golang.org/x/text@v0.3.0');
});

test('Go build info, pre-1.18 pointer format, from a synthetic ELF', async () => {
  const b = Buffer.alloc(0x400);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b.writeBigUInt64LE(64n, 0x20); // e_phoff
  b.writeUInt16LE(56, 0x36);
  b.writeUInt16LE(1, 0x38);
  const base = 0x400000n;
  b.writeUInt32LE(1, 64); // PT_LOAD
  b.writeBigUInt64LE(0n, 64 + 8);
  b.writeBigUInt64LE(base, 64 + 16);
  b.writeBigUInt64LE(0x400n, 64 + 32);
  b.write('\xff Go buildinf:', 0x100, 'latin1');
  b[0x10e] = 8;
  b[0x10f] = 0; // little-endian, pointer format
  b.writeBigUInt64LE(base + 0x140n, 0x110);
  b.writeBigUInt64LE(base + 0x150n, 0x118);
  const version = 'go1.16.15';
  const mod = '0123456789abcdef' + 'path\texample.com/old\nmod\texample.com/old\tv1.2.3\th1:x=\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:y=\n' + '\n123456789abcdef';
  b.writeBigUInt64LE(base + 0x200n, 0x140);
  b.writeBigUInt64LE(BigInt(version.length), 0x148);
  b.writeBigUInt64LE(base + 0x220n, 0x150);
  b.writeBigUInt64LE(BigInt(mod.length), 0x158);
  b.write(version, 0x200, 'latin1');
  b.write(mod, 0x220, 'latin1');
  const info = readGoBuildInfo(b)!;
  assert.equal(info.goVersion, 'go1.16.15');
  assert.deepEqual(await scanInChunks(new GoScanner('/old', ctx()), b, 100), goPackages(info, '/old'));
  assert.deepEqual(info.main, { path: 'example.com/old', version: 'v1.2.3', sum: 'h1:x=' });
  assert.deepEqual(info.deps.map((d) => `${d.path}@${d.version}`), ['github.com/pkg/errors@v0.9.1']);
  assert.equal(readGoBuildInfo(Buffer.from('\x7fELF no build info here', 'latin1')), undefined);
});

test('Go binary built here (go1.18+ inline format): Go version, main module, local replacement', async () => {
  const dir = tempDir('distill-gobin-');
  put(dir, 'src/go.mod', 'module example.com/hello\n\ngo 1.19\n\nrequire example.com/greet v1.4.0\n\nreplace example.com/greet => ./greet\n');
  put(dir, 'src/main.go', 'package main\n\nimport "example.com/greet"\n\nfunc main() { println(greet.Hello()) }\n');
  put(dir, 'src/greet/go.mod', 'module example.com/greet\n\ngo 1.19\n');
  put(dir, 'src/greet/greet.go', 'package greet\n\nfunc Hello() string { return "hi" }\n');
  const out = join(dir, 'root/usr/local/bin/hello');
  execFileSync('go', ['build', '-o', out, '.'], {
    cwd: join(dir, 'src'),
    env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOCACHE: join(dir, 'cache'), GOPATH: join(dir, 'gopath'), CGO_ENABLED: '0' },
  });
  const goVersion = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  const bin = readFileSync(out);
  const info = readGoBuildInfo(bin)!;
  // Streamed in odd-sized chunks (the magic and strings straddle chunk borders) gives the same.
  for (const size of [7, 4093, 65536]) {
    const c = ctx();
    assert.deepEqual(await scanInChunks(new GoScanner('/x', c), bin, size), goPackages(info, '/x'), `chunks of ${size}`);
    assert.deepEqual(c.warnings, []);
  }
  assert.equal(info.goVersion, goVersion);
  assert.deepEqual(info.main, { path: 'example.com/hello', version: '(devel)' });
  assert.deepEqual(info.deps, [{ path: 'example.com/greet', version: 'v1.4.0', replace: { path: './greet', version: '(devel)' } }]);
  const s = await sbomFromDirectory(join(dir, 'root'));
  assert.deepEqual(ids(s.packages), ['golang:example.com/greet@(devel)', 'golang:example.com/hello@(devel)', `golang:stdlib@${goVersion.replace(/^go/, '')}`]);
  assert.deepEqual(s.packages[0]!.locations, ['/usr/local/bin/hello']);
});

test('Go binary built with -ldflags -X main.version=v1.0.0: the main module has that version; without it (devel)', () => {
  const dir = tempDir('distill-goldflags-');
  put(dir, 'src/go.mod', 'module example.com/tool\n\ngo 1.19\n');
  put(dir, 'src/main.go', 'package main\n\nvar version = "dev"\n\nfunc main() { println(version) }\n');
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOCACHE: join(dir, 'cache'), GOPATH: join(dir, 'gopath'), CGO_ENABLED: '0' };
  const build = (name: string, ...flags: string[]) => {
    const out = join(dir, 'root/usr/local/bin', name);
    execFileSync('go', ['build', ...flags, '-o', out, '.'], { cwd: join(dir, 'src'), env });
    const main = goPackages(readGoBuildInfo(readFileSync(out))!, out).find((p) => p.metadata?.role === 'main')!;
    return main;
  };
  const tagged = build('tagged', '-ldflags', '-s -w -X main.version=v1.0.0');
  assert.equal(tagged.version, 'v1.0.0');
  assert.equal(tagged.purl, 'pkg:golang/example.com/tool@v1.0.0');
  assert.equal(build('quoted', '-ldflags', "-X 'main.version=1.2.3'").version, '1.2.3');
  assert.equal(build('plain').version, '(devel)');
  assert.equal(build('notsemver', '-ldflags', '-X main.version=nightly').version, '(devel)');
  // Trivy's order: <module>/cmd/ first, then main/common/version/cmd packages, then the rest.
  assert.equal(ldflagsVersion('example.com/tool', '-X example.com/tool/cmd/tool.version=v2.0.0 -X main.Version=v1.0.0'), 'v2.0.0');
  assert.equal(ldflagsVersion('example.com/tool', '-X=example.com/tool/internal/build.Ver=v3.1.0'), 'v3.1.0');
  assert.equal(ldflagsVersion('example.com/tool', '-X main.version=v1.0.0 -X main.Version=v1.1.0'), undefined);
  assert.equal(ldflagsVersion('example.com/tool', '-X main.commit=abc123'), undefined);
});

test('node binary: the version of the real node running this test, whole and streamed', async () => {
  const bin = readFileSync(process.execPath);
  const v = nodeVersionFromBinary(bin);
  assert.equal(`v${v}`, process.version);
  for (const size of [13, 65536]) {
    const [p] = await scanInChunks(new NodeScanner('/usr/local/bin/node'), bin, size);
    assert.equal(p?.purl, `pkg:generic/node@${process.version.slice(1)}`);
  }
  // A marker cut by the end of a chunk is completed by the next one, not read short.
  const s = new NodeScanner('/n');
  s.write(Buffer.from('xxxx node.js/v20.1'));
  s.write(Buffer.from('1.25 yyyy'));
  assert.equal(s.end()[0]?.version, '20.11.25');
  assert.equal(nodeVersionFromBinary(Buffer.from('node.js/v1.2 nothing /release/v9.9.9/node-v9.9.8')), undefined);
});

test('rpm header parser: index entries and data store', () => {
  // Four entries: NAME, VERSION, RELEASE (strings), EPOCH (int32).
  const strs = Buffer.from('bash\x005.2.26\x003.fc40\x00\x00\x00\x00');
  const data = Buffer.concat([strs, Buffer.from([0, 0, 0, 1])]);
  const entries: [number, number, number][] = [[1000, 6, 0], [1001, 6, 5], [1002, 6, 12], [1003, 4, strs.length]];
  const idx = Buffer.alloc(16 * entries.length);
  entries.forEach(([tag, type, off], i) => {
    idx.writeUInt32BE(tag, i * 16);
    idx.writeUInt32BE(type, i * 16 + 4);
    idx.writeUInt32BE(off, i * 16 + 8);
    idx.writeUInt32BE(1, i * 16 + 12);
  });
  const head = Buffer.alloc(8);
  head.writeUInt32BE(entries.length, 0);
  head.writeUInt32BE(data.length, 4);
  assert.deepEqual(parseRpmHeader(Buffer.concat([head, idx, data])), { name: 'bash', version: '5.2.26', release: '3.fc40', epoch: 1 });
  assert.throws(() => parseRpmHeader(Buffer.concat([head, idx])), /out of range/);
});

test('rpm: rpmdb.sqlite written by Debian\'s rpm with packages built by rpmbuild, checked against rpm -qa; BerkeleyDB warned', async () => {
  const dir = tempDir('distill-rpm-');
  const specs: [string, string, string, string | undefined, string][] = [
    ['distill-hello', '1.2.3', '4.fc40', '2', 'MIT AND Apache-2.0'],
    ['distill-tools', '0.9', '1.el9', undefined, 'GPL-2.0-or-later'],
    ['distill-data', '2024a', '3', '0', 'Public Domain'],
  ];
  const db = join(dir, 'root/var/lib/rpm');
  mkdirSync(db, { recursive: true });
  execFileSync('rpm', ['--initdb', '--dbpath', db, '--define', '_db_backend sqlite']);
  for (const [name, version, release, epoch, license] of specs) {
    put(dir, `top/SPECS/${name}.spec`, `Name: ${name}\nVersion: ${version}\nRelease: ${release}\n${epoch !== undefined ? `Epoch: ${epoch}\n` : ''}Summary: t\nLicense: ${license}\nBuildArch: noarch\n%description\nt\n%files\n`);
    execFileSync('rpmbuild', ['--define', `_topdir ${join(dir, 'top')}`, '-bb', join(dir, `top/SPECS/${name}.spec`)], { stdio: 'ignore' });
    execFileSync('rpm', ['-i', '--dbpath', db, '--define', '_db_backend sqlite', '--nodeps', '--justdb', '--ignoreos', '--ignorearch', join(dir, `top/RPMS/noarch/${name}-${version}-${release}.noarch.rpm`)], { stdio: 'ignore' });
  }
  put(dir, 'root/etc/os-release', 'ID=fedora\nVERSION_ID=40\n');
  const s = await sbomFromDirectory(join(dir, 'root'));
  // rpm itself is the oracle: name, EPOCH:VERSION-RELEASE (no epoch prefix when unset), license.
  const oracle = execFileSync('rpm', ['-qa', '--dbpath', db, '--qf', '%{NAME}|%|EPOCH?{%{EPOCH}:}:{}||%{VERSION}-%{RELEASE}|%{LICENSE}|%{ARCH}\\n'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.split('|'))
    .map(([n, e, vr, l, a]) => `${n}@${e}${vr} ${l} ${a}`)
    .sort();
  assert.deepEqual(s.packages.map((p) => `${p.name}@${p.version} ${p.licenses?.join()} ${p.arch}`).sort(), oracle);
  assert.equal(oracle.length, 3);
  const p = s.packages.find((x) => x.name === 'distill-hello')!;
  assert.equal(p.version, '2:1.2.3-4.fc40');
  assert.equal(p.purl, 'pkg:rpm/fedora/distill-hello@1.2.3-4.fc40?arch=noarch&distro=fedora-40&epoch=2');
  assert.deepEqual([p.sourceName, p.sourceVersion], ['distill-hello', '1.2.3-4.fc40']);
  assert.equal(s.packages.find((x) => x.name === 'distill-tools')!.purl, 'pkg:rpm/fedora/distill-tools@0.9-1.el9?arch=noarch&distro=fedora-40');
  assert.deepEqual(s.warnings, []);

  const old = tempDir('distill-rpmbdb-');
  put(old, 'var/lib/rpm/Packages', Buffer.alloc(4096));
  const s2 = await sbomFromDirectory(old);
  assert.deepEqual(s2.packages, []);
  assert.deepEqual(s2.warnings, ['/var/lib/rpm/Packages: unreadable BerkeleyDB rpm database (not a BerkeleyDB hash database (no hash magic at byte 12)); its packages are not listed']);
});

test('java: pom.properties, MANIFEST-only and nested jars built with the jar tool', async () => {
  const dir = tempDir('distill-jar-');
  const jar = (name: string, files: Record<string, string>, manifest?: string): string => {
    const src = join(dir, `${name}.d`);
    for (const [p, c] of Object.entries(files)) put(src, p, c);
    const out = join(dir, name);
    const args = ['--create', '--file', out];
    if (manifest) {
      put(dir, `${name}.mf`, manifest);
      args.push('--manifest', join(dir, `${name}.mf`));
    }
    execFileSync('jar', [...args, '-C', src, '.']);
    return out;
  };
  const inner = jar('commons-lang3-3.14.0.jar', { 'META-INF/maven/org.apache.commons/commons-lang3/pom.properties': '#x\ngroupId=org.apache.commons\nartifactId=commons-lang3\nversion=3.14.0\n', 'a.txt': 'a' });
  const bundle = jar('whatever.jar', { 'b.txt': 'b' }, 'Bundle-SymbolicName: org.example.thing;singleton:=true\nImplementation-Title: thing\nImplementation-Version: 0.9.1\nBundle-License: EPL-2.0\n');
  const app = join(dir, 'app.d');
  put(app, 'META-INF/maven/com.example/app/pom.properties', 'groupId=com.example\nartifactId=app\nversion=1.0.0\n');
  copyFileSync(inner, join(dir, 'inner.jar'));
  put(app, 'BOOT-INF/lib/commons-lang3-3.14.0.jar', readFileSync(inner));
  put(app, 'BOOT-INF/lib/whatever.jar', readFileSync(bundle));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'app'), { recursive: true });
  execFileSync('jar', ['--create', '--file', join(root, 'app/app.jar'), '-C', app, '.']);
  const s = await sbomFromDirectory(root);
  assert.deepEqual(ids(s.packages), ['maven:com.example:app@1.0.0', 'maven:org.apache.commons:commons-lang3@3.14.0', 'maven:org.example:thing@0.9.1']);
  const lang = s.packages.find((p) => p.name.endsWith('commons-lang3'))!;
  assert.equal(lang.purl, 'pkg:maven/org.apache.commons/commons-lang3@3.14.0');
  assert.deepEqual(lang.locations, ['/app/app.jar!/BOOT-INF/lib/commons-lang3-3.14.0.jar']);
  assert.deepEqual(s.packages.find((p) => p.name.endsWith('thing'))!.licenses, ['EPL-2.0']);
});

test('directory walk: dpkg status + status.d (md5sums ignored), apk, npm, python, distro qualifiers', async () => {
  const root = tempDir('distill-rootfs-');
  put(root, 'etc/os-release', 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  put(root, 'var/lib/dpkg/status', 'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b7\n');
  put(root, 'var/lib/dpkg/status.d/base-files', 'Package: base-files\nArchitecture: amd64\nVersion: 12.4+deb12u5\n');
  put(root, 'var/lib/dpkg/status.d/base-files.md5sums', 'd41d8cd98f00b204e9800998ecf8427e  etc/issue\n');
  put(root, 'usr/local/lib/node_modules/npm/package.json', '{"name":"npm","version":"10.2.4"}');
  put(root, 'app/node_modules/@scope/pkg/package.json', '{"name":"@scope/pkg","version":"1.0.0","license":"ISC"}');
  put(root, 'app/node_modules/@scope/pkg/lib/package.json', '{"type":"commonjs"}');
  put(root, 'app/package.json', '{"name":"app","version":"0.0.1"}');
  put(root, 'usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA', 'Name: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n');
  put(root, 'usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO', 'Name: six\nVersion: 1.16.0\n');
  const s = await sbomFromDirectory(root);
  assert.deepEqual(s.distro, bookworm);
  assert.deepEqual(ids(s.packages), ['deb:base-files@12.4+deb12u5', 'deb:bash@5.2.15-2+b7', 'npm:@scope/pkg@1.0.0', 'npm:app@0.0.1', 'npm:npm@10.2.4', 'pypi:requests@2.31.0', 'pypi:six@1.16.0']);
  assert.equal(s.packages.find((p) => p.name === 'base-files')!.purl, 'pkg:deb/debian/base-files@12.4+deb12u5?arch=amd64&distro=debian-12');
  assert.deepEqual(s.packages.find((p) => p.name === 'base-files')!.locations, ['/var/lib/dpkg/status.d/base-files']);
  assert.deepEqual(s.warnings, []);
});

test('empty and non-matching files: an empty .jar or executable is not a warning, a broken jar is', async () => {
  const root = tempDir('distill-empty-');
  put(root, 'app/empty.jar', '');
  put(root, 'usr/bin/empty', '', 0o755);
  put(root, 'usr/bin/script', '#!/bin/sh\necho hi\n'.repeat(100), 0o755);
  put(root, 'app/broken.jar', 'PK\x03\x04 but not really a zip');
  const s = await sbomFromDirectory(root);
  assert.deepEqual(s.packages, []);
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0]!, /^\/app\/broken\.jar: not a readable Java archive/);
});
