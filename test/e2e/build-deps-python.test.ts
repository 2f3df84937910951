/**
 * `distill build` of Python apps with third-party packages from a package index: a loopback PEP 503
 * index (test/helpers/pypi-index.ts) over wheels built here with `pip wheel` (one pure, one with a
 * C extension), named by PIP_INDEX_URL as a user's pip configuration would. Apps pinned by
 * requirements.txt (with and without hashes) and by pyproject.toml build, run on the python3 base
 * and answer over HTTP; a wheel for another Python version is refused with the reason.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { podman, podmanEnv } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { getJson } from '../helpers/http.ts';
import { pullLayout, runHardened } from '../helpers/containers.ts';
import { flavourPythonVersion } from '../../src/assemble/pip.ts';
import { buildWheels, isolatedPipEnv, servePypi, sha256, wheelBuilder, writeSamplePackages, type PypiIndex } from '../helpers/pypi-index.ts';

const work = tempDir('distill-e2e-pydeps-');
const bases = join(work, 'bases');
const wheels = join(work, 'wheels');
const builder = wheelBuilder();
const baseVersion = flavourPythonVersion();
// The C extension is compiled for the builder's Python; it fits the base only when the versions agree.
const skip = !builder ? 'no python3 with setuptools, wheel and Python.h to build wheels' : builder.version !== baseVersion ? `wheels built by Python ${builder.version}, the python3 base has ${baseVersion}` : false;
let index: PypiIndex | undefined;
let wheelFiles: string[] = [];
const containers: string[] = [];
const images: string[] = [];

const APP = `import json
from http.server import BaseHTTPRequestHandler, HTTPServer

import fastsum
import greeting


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = {"status": "ok"} if self.path == "/health" else {"service": "py-deps", "greeting": greeting.hello("distill"), "sum": fastsum.add(2, 3)}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


HTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
`;

function pipEnv(url: string): NodeJS.ProcessEnv {
  return { ...isolatedPipEnv(join(work, 'pip-cache')), PIP_INDEX_URL: url, XDG_CACHE_HOME: join(work, 'cache'), SOURCE_DATE_EPOCH: '1700000000' };
}

function app(name: string, files: Record<string, string>): string {
  const dir = join(work, 'apps', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.py'), APP);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

before(async () => {
  if (skip) return;
  const pkgs = writeSamplePackages(join(work, 'pkgs'));
  wheelFiles = buildWheels(builder!.python, [pkgs.fastsum, pkgs.greeting], wheels, isolatedPipEnv(join(work, 'pip-cache')));
  index = await servePypi(wheels);
  const r = await runDistill(['base', 'python3', '-o', join(bases, 'python3'), '--lock', join(ROOT, 'test-output', 'build-e2e-locks', 'python3.lock.json'), '--tags', 'nonroot', '-q']);
  assert.equal(r.code, 0, `distill base python3: ${r.stderr}`);
});

after(async () => {
  for (const c of containers) await podman(['rm', '-f', '-t', '0', c]);
  for (const i of images) await podman(['rmi', '-f', i]);
  await index?.close();
  rmSync(work, { recursive: true, force: true });
});

/** distill build APPDIR onto the python3 base; the parsed --json. */
async function build(dir: string, url: string, extra: string[] = []) {
  const layout = join(work, 'out', dir.split('/').pop()!);
  const b = await runDistill(['build', dir, '--base-dir', bases, '-o', `oci:${layout}:test`, '--json', ...extra], { env: pipEnv(url) });
  return { ...b, layout };
}

/** Runs the image read-only as 65532 and returns what / answers. */
async function runAndGet(layout: string): Promise<Record<string, unknown>> {
  const id = await pullLayout(`oci:${layout}:test`);
  images.push(id);
  const { cid, port } = await runHardened(id);
  containers.push(cid);
  const deadline = Date.now() + 60_000;
  const health = await getJson(`http://127.0.0.1:${port}/health`, deadline);
  assert.equal(health.body.status, 'ok');
  return (await getJson(`http://127.0.0.1:${port}/`, deadline)).body;
}

test('requirements.txt: packages from PIP_INDEX_URL in their own layer; the image runs the C extension', { skip }, async () => {
  const dir = app('req-plain', { 'requirements.txt': '# what the app imports\ngreeting==1.2.0\n' });
  const b = await build(dir, index!.url);
  assert.equal(b.code, 0, b.stderr);
  const out = JSON.parse(b.stdout);
  assert.deepEqual(out.layers.map((l: { name: string }) => l.name), ['dependencies', 'app']);
  assert.ok(out.steps.some((s: string) => s.includes(`--python-version ${baseVersion}`)), out.steps.join('; '));
  assert.ok(out.steps.some((s: string) => s.includes(`${index!.url} (PIP_INDEX_URL)`)), out.steps.join('; '));
  // The transitive dependency came from the index too.
  assert.ok(index!.served.some((f) => f.startsWith('fastsum-')) && index!.served.some((f) => f.startsWith('greeting-')), index!.served.join(', '));
  const body = await runAndGet(b.layout);
  assert.equal(body.service, 'py-deps');
  assert.equal(body.greeting, 'hello distill (42)');
  assert.equal(body.sum, 5);
});

test('requirements.txt with hashes: pip checks them (a wrong one fails the build), the right ones build and run', { skip }, async () => {
  // What `pip-compile --generate-hashes` writes: every pin, transitive ones included, with its hash.
  const lines = (bad: boolean) =>
    ['fastsum==0.1.0', 'greeting==1.2.0'].map((pin) => {
      const h = sha256(join(wheels, wheelFiles.find((f) => f.startsWith(`${pin.split('==')[0]}-`))!));
      const wrong = h.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      return `${pin} \\\n    --hash=sha256:${bad && pin.startsWith('greeting') ? wrong : h}`;
    });
  const badDir = app('req-bad-hash', { 'requirements.txt': `${lines(true).join('\n')}\n` });
  const bad = await build(badDir, index!.url);
  assert.equal(bad.code, 2, bad.stderr);
  const err = JSON.parse(bad.stdout || bad.stderr).error;
  assert.match(err.input, /requirements\.txt$/);
  assert.match(err.message, /DO NOT MATCH THE HASHES/);
  assert.match(err.message, /full output: \S+\.log\)$/);
  const dir = app('req-hashes', { 'requirements.txt': `${lines(false).join('\n')}\n` });
  const b = await build(dir, index!.url);
  assert.equal(b.code, 0, b.stderr);
  assert.ok(JSON.parse(b.stdout).steps.some((s: string) => /hashes required/.test(s)));
  assert.equal((await runAndGet(b.layout)).greeting, 'hello distill (42)');
});

test('pyproject.toml (PEP 621 dependencies): builds from the index and runs', { skip }, async () => {
  const dir = app('pyproject', { 'pyproject.toml': '[project]\nname = "svc"\nversion = "0.1.0"\ndependencies = [\n  "greeting>=1.0",  # the greeter\n]\n' });
  const b = await build(dir, index!.url);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(JSON.parse(b.stdout).layers.map((l: { name: string }) => l.name), ['dependencies', 'app']);
  assert.equal((await runAndGet(b.layout)).sum, 5);
});

test("a wheel built for another Python version is refused with the reason, never installed on the base", { skip }, async () => {
  const other = join(work, 'wheels-other');
  mkdirSync(other, { recursive: true });
  const [maj, min] = baseVersion.split('.').map(Number) as [number, number];
  const tag = `cp${maj}${min + 2}`;
  for (const f of wheelFiles) {
    copyFileSync(join(wheels, f), join(other, f.replace(/-cp\d+-cp\d+-/, `-${tag}-${tag}-`)));
  }
  const idx = await servePypi(other);
  try {
    const dir = app('wrong-python', { 'requirements.txt': 'greeting==1.2.0\n' });
    const b = await build(dir, idx.url);
    assert.equal(b.code, 3, b.stderr);
    const err = JSON.parse(b.stdout || b.stderr).error;
    assert.match(err.message, new RegExp(`Python ${baseVersion.replace('.', '\\.')}`));
    assert.match(err.message, new RegExp(`fastsum-0\\.1\\.0-${tag}-${tag}-manylinux_2_36_x86_64\\.whl \\(${tag}-${tag}-`));
    assert.ok(!idx.served.some((f) => f.startsWith('fastsum-')), 'the wheel for the other Python was downloaded');
  } finally {
    await idx.close();
  }
});

test('harden hardens a Flask-shaped app with requirements.txt: both images install from PIP_INDEX_URL, the distroless one verifies and answers its HEALTHCHECK', { skip }, async () => {
  const dir = app('harden-req', {
    'requirements.txt': 'greeting==1.2.0\n',
    Dockerfile: ['FROM python:3.11-slim', 'WORKDIR /app', 'COPY requirements.txt .', 'RUN pip install --no-cache-dir -r requirements.txt', 'COPY app.py .', 'EXPOSE 8080', 'HEALTHCHECK CMD curl -fsS http://localhost:8080/health || exit 1', 'CMD ["python", "app.py"]', ''].join('\n'),
  });
  const out = join(work, 'harden-out');
  // --no-build: the Dockerfile's python:3.11-slim would send podman to Docker Hub; tests stay on loopback.
  const r = await runDistill(['harden', dir, '-o', out, '--no-build', '--json'], { env: { ...podmanEnv(), ...pipEnv(index!.url) } });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.provenance.traditional.kind, 'simulated');
  assert.equal(j.verify.distroless.passed, true, JSON.stringify(j.verify.distroless.checks));
  assert.ok(j.verify.distroless.checks.some((c: { id: string; status: string }) => c.id === 'probe' && c.status === 'pass'), 'the HEALTHCHECK URL answered, so greeting and fastsum imported');
  // The traditional picture ran `pip install` too: it starts and serves (it fails only as root with a shell).
  const failed = j.verify.traditional.checks.filter((c: { status: string }) => c.status === 'fail').map((c: { id: string }) => c.id).sort();
  assert.deepEqual(failed, ['no-shell', 'non-root']);
});
