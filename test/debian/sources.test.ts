/**
 * apt sources: deb822 and one-line formats, reading an /etc/apt tree, and choosing the main,
 * -updates and -security repositories (or the --mirror/--suite overrides).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDeb822Sources, parseOneLineSources, readAptSources, selectRepositories } from '../../src/debian/sources.ts';
import { DistillError } from '../../src/util/errors.ts';
import { tmp } from './fakerepo.ts';

const DEB822 = `Types: deb deb-src
# a comment line
URIs: http://mirror.example.invalid/debian/
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/example.gpg

Types: deb
URIs: http://security.example.invalid/debian-security
Suites: bookworm-security
Components: main
Enabled: no

Types: deb
URIs: https://other.example.invalid/debian-security
Suites: bookworm-security
Components: main
Architectures: amd64 arm64
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBFxZ
 -----END PGP PUBLIC KEY BLOCK-----
`;

const ONE_LINE = `# comment
deb [arch=amd64,arm64 signed-by=/etc/keys/archive.gpg] http://mirror.example.invalid/debian bookworm main non-free-firmware
deb-src http://mirror.example.invalid/debian bookworm main
deb http://security.example.invalid/debian-security bookworm-security main # trailing comment

deb file:///srv/mirror/debian bookworm-updates main
`;

test('deb822 .sources: multi-value fields, Enabled, Signed-By path vs inline key', () => {
  const s = parseDeb822Sources(DEB822, 'debian.sources');
  assert.equal(s.length, 3);
  assert.deepEqual(s[0], {
    types: ['deb', 'deb-src'],
    uris: ['http://mirror.example.invalid/debian'],
    suites: ['bookworm', 'bookworm-updates'],
    components: ['main', 'contrib'],
    signedBy: '/usr/share/keyrings/example.gpg',
    enabled: true,
    file: 'debian.sources',
  });
  assert.equal(s[1]!.enabled, false);
  assert.equal(s[2]!.signedBy, undefined, 'an inline key block is not a keyring path');
  assert.deepEqual(s[2]!.architectures, ['amd64', 'arm64']);
});

test('one-line sources.list: options, deb-src, comments, file: URIs', () => {
  const s = parseOneLineSources(ONE_LINE, 'sources.list');
  assert.equal(s.length, 4);
  assert.deepEqual(s[0], {
    types: ['deb'],
    uris: ['http://mirror.example.invalid/debian'],
    suites: ['bookworm'],
    components: ['main', 'non-free-firmware'],
    signedBy: '/etc/keys/archive.gpg',
    architectures: ['amd64', 'arm64'],
    enabled: true,
    file: 'sources.list',
  });
  assert.deepEqual(s[1]!.types, ['deb-src']);
  assert.deepEqual(s[2]!.components, ['main']);
  assert.equal(s[3]!.uris[0], 'file:///srv/mirror/debian');
  assert.throws(() => parseOneLineSources('deb\n', 'bad.list'), (e: unknown) => e instanceof DistillError && e.input === 'bad.list:1');
});

test('readAptSources reads sources.list, *.list and *.sources and ignores other files', () => {
  const root = tmp();
  mkdirSync(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  writeFileSync(join(root, 'etc/apt/sources.list'), ONE_LINE);
  writeFileSync(join(root, 'etc/apt/sources.list.d/debian.sources'), DEB822);
  writeFileSync(join(root, 'etc/apt/sources.list.d/extra.list'), 'deb http://extra.example.invalid/x stable main\n');
  writeFileSync(join(root, 'etc/apt/sources.list.d/old.list.disabled'), 'deb http://never.example.invalid/x stable main\n');
  const s = readAptSources(root);
  assert.equal(s.length, 4 + 3 + 1);
  assert.ok(!s.some((x) => x.uris[0]!.includes('never')));
});

test('selectRepositories picks main, -updates and -security from deb822 sources', () => {
  const sources = parseDeb822Sources(DEB822, 'debian.sources');
  const repos = selectRepositories({ sources });
  assert.deepEqual(repos, [
    { uri: 'http://mirror.example.invalid/debian', suite: 'bookworm', components: ['main'], role: 'main', signedBy: '/usr/share/keyrings/example.gpg' },
    { uri: 'http://mirror.example.invalid/debian', suite: 'bookworm-updates', components: ['main'], role: 'updates', signedBy: '/usr/share/keyrings/example.gpg' },
    // The disabled entry is skipped; the enabled one with an inline key has no keyring path.
    { uri: 'https://other.example.invalid/debian-security', suite: 'bookworm-security', components: ['main'], role: 'security' },
  ]);
});

test('selectRepositories from one-line sources skips deb-src and keeps file: mirrors', () => {
  const repos = selectRepositories({ sources: parseOneLineSources(ONE_LINE) });
  assert.deepEqual(
    repos.map((r) => [r.role, r.uri, r.suite, r.signedBy]),
    [
      ['main', 'http://mirror.example.invalid/debian', 'bookworm', '/etc/keys/archive.gpg'],
      ['updates', 'file:///srv/mirror/debian', 'bookworm-updates', undefined],
      ['security', 'http://security.example.invalid/debian-security', 'bookworm-security', undefined],
    ],
  );
});

test('--mirror/--suite/--security-mirror override the sources; false drops security', () => {
  const sources = parseDeb822Sources(DEB822);
  const r1 = selectRepositories({ sources, mirror: 'http://127.0.0.1:9/debian/', suite: 'bookworm', securityMirror: 'http://127.0.0.1:9/sec' });
  assert.deepEqual(
    r1.map((r) => [r.role, r.uri, r.suite, r.signedBy]),
    [
      ['main', 'http://127.0.0.1:9/debian', 'bookworm', undefined],
      ['updates', 'http://127.0.0.1:9/debian', 'bookworm-updates', undefined],
      ['security', 'http://127.0.0.1:9/sec', 'bookworm-security', undefined],
    ],
  );
  const r2 = selectRepositories({ sources, mirror: 'http://127.0.0.1:9/debian', suite: 'trixie', securityMirror: false });
  assert.deepEqual(r2.map((r) => [r.role, r.suite]), [['main', 'trixie']]);
  const r3 = selectRepositories({ sources, updates: false, securityMirror: false });
  assert.deepEqual(r3.map((r) => r.suite), ['bookworm']);
});

test('no usable source is a DistillError telling the user what to pass', () => {
  assert.throws(() => selectRepositories({ sources: [] }), (e: unknown) => e instanceof DistillError && /--mirror URL --suite SUITE/.test(e.message));
  assert.throws(() => selectRepositories({ sources: [], mirror: 'http://127.0.0.1:9/d' }), (e: unknown) => e instanceof DistillError && /--suite/.test(e.message));
});
