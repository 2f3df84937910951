/**
 * Lockfile-only applications: dependencies named by lockfiles (fixtures in
 * test/fixtures/lockfiles, written the way the tools write them) are listed as declared, dev
 * dependencies flagged, and dropped once the same package is found installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sbomFromDirectory, sbomFromImage, sbomJson } from '../../src/analyze/sbom.ts';
import type { Package } from '../../src/analyze/package.ts';
import { toCycloneDxJson } from '../../src/report/cyclonedx.ts';
import { toSpdxDocument } from '../../src/report/spdx.ts';
import { parseToml } from '../../src/analyze/catalogers/toml.ts';
import { makeImage, tempDir } from '../helpers/images.ts';
import { runDistill } from '../helpers/cli.ts';
import { assertValidCycloneDx, assertValidSpdx } from '../report/schemas.ts';

const FIXTURES = new URL('../fixtures/lockfiles/', import.meta.url).pathname;

/** A root filesystem with the fixture directory `name` as /app. */
async function scanFixture(name: string, extra: Record<string, string> = {}) {
  const root = tempDir('distill-lock-');
  cpSync(join(FIXTURES, name), join(root, 'app'), { recursive: true });
  for (const [p, c] of Object.entries(extra)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
  return sbomFromDirectory(root);
}

const list = (ps: Package[], type = '') => ps.filter((p) => !type || p.type === type).map((p) => `${p.name}@${p.version}${p.dev ? ' (dev)' : ''}`);

test('package-lock.json v3 with workspaces: scoped, nested, aliased and git deps declared; workspaces and links are the project', async () => {
  const s = await scanFixture('npm-v3-workspaces');
  const declared = s.packages.filter((p) => p.declared === 'lockfile');
  assert.deepEqual(list(declared), ['@types/node@20.12.7', 'express@4.19.2', 'left-pad@1.3.0', 'ms@2.0.0', 'ms@2.1.3', 'string-width@4.2.3', 'typescript@5.4.5 (dev)', 'undici-types@5.26.5']);
  assert.equal(declared.find((p) => p.name === '@types/node')!.purl, 'pkg:npm/%40types/node@20.12.7');
  assert.ok(declared.every((p) => p.cataloger === 'npm-lockfile' && p.locations[0] === '/app/package-lock.json'));
  // The app's own package.json is still the npm cataloger's.
  assert.deepEqual(list(s.packages.filter((p) => !p.declared)), ['shop@1.0.0']);
  const json = sbomJson(s) as { packages: { name: string; declared?: string; dev?: boolean }[] };
  assert.deepEqual(json.packages.find((p) => p.name === 'typescript'), { ...json.packages.find((p) => p.name === 'typescript'), declared: 'lockfile', dev: true });
});

test('package-lock.json v1: nested copies, dev, git commit as the version; file: deps skipped', async () => {
  const s = await scanFixture('npm-v1');
  assert.deepEqual(list(s.packages), ['@sindresorhus/is@0.14.0', 'debug@2.6.9', 'mocha@5.2.0 (dev)', 'ms@2.0.0', 'ms@2.1.2', 'shared-utils@8e5a3f0c4b7d2e1f9a6c3b8d7e4f1a2b3c4d5e6f']);
});

test('yarn.lock v1 and berry: one package per resolution, aliases under the real name, workspaces and patches skipped', async () => {
  const v1 = await scanFixture('yarn-v1');
  assert.deepEqual(list(v1.packages), ['@babel/code-frame@7.24.2', '@babel/highlight@7.24.2', 'lodash@4.17.21', 'picocolors@1.0.0', 'string-width@4.2.3', 'ui-kit@2.1.0']);
  const berry = await scanFixture('yarn-berry');
  assert.deepEqual(list(berry.packages), ['@fastify/cors@9.0.1', 'fastify@4.26.2', 'fastify-plugin@4.5.1', 'resolve@1.22.8']);
});

test('pnpm-lock.yaml v6 (dev flags) and v9 (dev-only computed from importers and snapshots)', async () => {
  const v6 = await scanFixture('pnpm-v6');
  assert.deepEqual(list(v6.packages), ['@types/react@18.2.79 (dev)', 'csstype@3.1.3 (dev)', 'js-tokens@4.0.0', 'loose-envify@1.4.0', 'react@18.2.0', 'react-dom@18.2.0', 'scheduler@0.23.0']);
  const v9 = await scanFixture('pnpm-v9');
  // ms is needed by the app and by the dev tool: not dev-only.
  assert.deepEqual(list(v9.packages), ['@sindresorhus/slugify@2.2.1', 'escape-string-regexp@5.0.0', 'ms@2.1.3', 'tinyrainbow@1.2.0 (dev)', 'vitest-lite@1.0.2 (dev)']);
});

test('poetry.lock, Pipfile.lock, uv.lock and pinned requirements files', async () => {
  assert.deepEqual(list((await scanFixture('poetry')).packages), ['certifi@2024.2.2', 'Flask@3.0.3', 'internal-auth@0.9.0', 'pytest@8.1.1 (dev)']);
  const pipenv = await scanFixture('pipenv');
  assert.deepEqual(list(pipenv.packages), ['black@24.4.0 (dev)', 'django@5.0.4', 'sqlparse@0.5.0']);
  assert.equal(pipenv.packages.find((p) => p.name === 'django')!.purl, 'pkg:pypi/django@5.0.4');
  // sniffio is reached by anyio (prod) and pytest (dev): prod wins; the project itself is not listed.
  assert.deepEqual(list((await scanFixture('uv')).packages), ['anyio@4.3.0', 'idna@3.7', 'iniconfig@2.0.0 (dev)', 'pytest@8.2.0 (dev)', 'sniffio@1.3.1']);
  const req = await scanFixture('requirements');
  assert.deepEqual(list(req.packages), ['certifi@2024.2.2', 'charset-normalizer@3.3.2', 'idna@3.7', 'mypy@1.10.0 (dev)', 'requests@2.31.0', 'ruff@0.4.2 (dev)']);
});

test('Cargo.lock (registry and git crates, not the workspace) and go.mod requires with replaces', async () => {
  const cargo = await scanFixture('cargo');
  assert.deepEqual(list(cargo.packages), ['cfg-if@1.0.0', 'log@0.4.21', 'tiny-http@0.12.0']);
  assert.equal(cargo.packages[0]!.purl, 'pkg:cargo/cfg-if@1.0.0');
  const go = await scanFixture('gomod');
  assert.deepEqual(list(go.packages), ['github.com/acme/shared@(devel)', 'github.com/go-chi/chi/v5@v5.0.12', 'github.com/google/uuid@v1.6.0', 'golang.org/x/sync@v0.6.0']);
  assert.equal(go.packages.find((p) => p.name === 'github.com/go-chi/chi/v5')!.purl, 'pkg:golang/github.com/go-chi/chi/v5@v5.0.12');
});

test('installed packages win: with node_modules present only what is not installed stays declared; toolchain and dependency lockfiles are not apps', async () => {
  const s = await scanFixture('npm-v3-workspaces', {
    'app/node_modules/express/package.json': '{"name":"express","version":"4.19.2"}',
    'app/node_modules/ms/package.json': '{"name":"ms","version":"2.1.3"}',
    'app/node_modules/ms/package-lock.json': readFileSync(join(FIXTURES, 'npm-v1/package-lock.json'), 'utf8'),
    'usr/local/go/src/go.mod': 'module std\n\ngo 1.22\n\nrequire golang.org/x/crypto v0.16.1-0.20231129163542-152cdb1503eb\n',
    'root/go/pkg/mod/github.com/google/uuid@v1.6.0/go.mod': 'module github.com/google/uuid\n\nrequire golang.org/x/text v0.3.0\n',
  });
  const installed = list(s.packages.filter((p) => !p.declared));
  assert.deepEqual(installed, ['express@4.19.2', 'ms@2.1.3', 'shop@1.0.0']);
  const declared = list(s.packages.filter((p) => p.declared));
  assert.ok(!declared.includes('express@4.19.2') && !declared.includes('ms@2.1.3'), declared.join(', '));
  assert.ok(declared.includes('ms@2.0.0'));
  assert.ok(!s.packages.some((p) => p.type === 'golang'), 'GOROOT and module-cache go.mod files are not applications');
});

test('an image holding only an app and its lockfiles lists the declared packages; SPDX and CycloneDX say so and validate', async () => {
  const read = (p: string) => readFileSync(join(FIXTURES, p), 'utf8');
  const img = await makeImage([
    [
      { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { name: 'app/package.json', content: read('npm-v3-workspaces/package.json') },
      { name: 'app/package-lock.json', content: read('npm-v3-workspaces/package-lock.json') },
      { name: 'srv/api/poetry.lock', content: read('poetry/poetry.lock') },
    ],
  ]);
  const s = await sbomFromImage(img, 'lockfile-only');
  assert.equal(s.packages.filter((p) => p.declared === 'lockfile' && p.type === 'npm').length, 8);
  assert.equal(s.packages.filter((p) => p.declared === 'lockfile' && p.type === 'pypi').length, 4);
  const cdx = toCycloneDxJson(s);
  await assertValidCycloneDx(cdx);
  const bom = JSON.parse(cdx) as { components: { name: string; properties?: { name: string; value: string }[] }[] };
  const ts = bom.components.find((c) => c.name === 'typescript')!;
  assert.deepEqual(ts.properties!.filter((p) => p.name === 'distill:evidence' || p.name === 'distill:dev').map((p) => p.value), ['true', 'declared (lockfile)']);
  const spdx = toSpdxDocument(s);
  assertValidSpdx(spdx);
  assert.match(spdx.packages.find((p) => p.name === 'pytest')!.comment!, /declared \(lockfile\).*development dependency/);
});

test('TOML reader: the lockfile subset, and errors for what it does not read', () => {
  const t = parseToml('a = "x\\ty"\nb = \'lit\\n\'\n[t.u]\nc = [1, 2,\n  3]\nd = { e = true, "f g" = "h" }\n[[arr]]\nn = 1\n[[arr]]\nn = 2\n');
  assert.deepEqual(t, { a: 'x\ty', b: 'lit\\n', t: { u: { c: [1, 2, 3], d: { e: true, 'f g': 'h' } } }, arr: [{ n: 1 }, { n: 2 }] });
  assert.throws(() => parseToml('a = "unterminated\n'), /line 1/);
  assert.throws(() => parseToml('[x\n'), /expected \]/);
});

test('cli: distill sbom dir: of a lockfile-only app says which packages are declared and which are dev', async () => {
  const root = tempDir('distill-lock-cli-');
  cpSync(join(FIXTURES, 'pnpm-v6'), join(root, 'app'), { recursive: true });
  const r = await runDistill(['sbom', `dir:${root}`]);
  assert.equal(r.code, 0, r.stderr);
  const row = (name: string) => r.stdout.split('\n').find((l) => l.includes(` ${name} `))?.split('│').map((c) => c.trim()).filter(Boolean);
  assert.deepEqual(row('react'), ['react', '18.2.0', 'npm, declared (lockfile)', '/app/pnpm-lock.yaml']);
  assert.deepEqual(row('csstype'), ['csstype', '3.1.3', 'npm, declared (lockfile), dev', '/app/pnpm-lock.yaml']);
  assert.match(r.stdout, /7 packages \(npm 7\)/);
});
