/** `distill convert` as a user runs it: output, -o, --json, --explain, exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDistill, ROOT } from '../helpers/cli.ts';

const FIX = join(ROOT, 'test', 'fixtures', 'dockerfiles');

test('prints the converted Dockerfile on stdout and exits 0 when nothing needs review', async () => {
  const r = await runDistill(['convert', join(FIX, 'node-npm-start', 'Dockerfile')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(FIX, 'node-npm-start', 'expected.Dockerfile'), 'utf8'));
  assert.equal(r.stderr, '');
});

test('--explain lists each change with its line on stderr, keeping stdout a Dockerfile', async () => {
  const r = await runDistill(['convert', '--explain', join(FIX, 'node-npm-start', 'Dockerfile')]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^FROM node:22 AS build$/m);
  assert.match(r.stderr, /line 8: \[healthcheck\]/);
  assert.match(r.stderr, /\[cmd\] `npm start` resolved through package\.json/);
});

test('-o writes the file and --json gives the stable schema', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distill-convert-'));
  const out = join(dir, 'Dockerfile.distroless');
  const r = await runDistill(['convert', '--json', '-o', out, '--provider', 'chainguard', join(FIX, 'go-basic', 'Dockerfile')]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j).sort(), ['base', 'buildTool', 'changes', 'converted', 'dockerfile', 'language', 'status', 'warnings']);
  assert.equal(j.language, 'go');
  assert.equal(j.base, 'cgr.dev/chainguard/glibc-dynamic:latest');
  assert.equal(readFileSync(out, 'utf8'), j.dockerfile);
  for (const c of j.changes) assert.equal(typeof c.reason, 'string');
});

test('-o - is stdout: no file named "-" is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distill-convert-'));
  const r = await runDistill(['convert', '-o', '-', '--provider', 'chainguard', join(FIX, 'go-basic', 'Dockerfile')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^FROM cgr\.dev\/chainguard\/glibc-dynamic:latest/m);
  assert.equal(existsSync(join(dir, '-')), false);
});

test('warnings go to stderr and exit 1; a refusal exits 3 and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distill-convert-'));
  const out = join(dir, 'out');
  const r = await runDistill(['convert', '--provider', 'scratch', '-o', out, join(FIX, 'python-pip', 'Dockerfile')]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /refused: .*scratch is empty/);
  assert.equal(existsSync(out), false);
  const q = await runDistill(['convert', '--quiet', join(FIX, 'python-runtime-apt', 'Dockerfile')]);
  assert.equal(q.code, 1);
  assert.equal(q.stderr, '');
});

test('input errors exit 2 with one line: missing file, not a Dockerfile, bad lock, bad provider', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distill-convert-'));
  const missing = await runDistill(['convert', join(dir, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^distill: .*nope: cannot read: ENOENT\n$/);
  writeFileSync(join(dir, 'Dockerfile'), 'hello\n');
  const notDf = await runDistill(['convert', join(dir, 'Dockerfile')]);
  assert.equal(notDf.code, 2);
  assert.match(notDf.stderr, /no FROM/);
  writeFileSync(join(dir, 'lock.json'), '{"node:20": "latest"}');
  const lock = await runDistill(['convert', '--pin', join(dir, 'lock.json'), join(FIX, 'node-alpine', 'Dockerfile')]);
  assert.equal(lock.code, 2);
  assert.match(lock.stderr, /not a sha256 digest/);
  const prov = await runDistill(['convert', '--provider', 'nope', join(FIX, 'node-alpine', 'Dockerfile')]);
  assert.equal(prov.code, 2);
});

test('reads stdin with -, using --context for manifests', async () => {
  const df = readFileSync(join(FIX, 'node-pnpm', 'Dockerfile'), 'utf8');
  const r = await runDistill(['convert', '-', '--context', join(FIX, 'node-pnpm')], { input: df });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^CMD \["--enable-source-maps", "build\/main\.js"\]$/m);
});
