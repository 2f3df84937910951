/**
 * A base tailored to the app's ELF files: a Python app vendoring Debian's python3-psycopg2 (its
 * extension module needs libpq.so.5, which the python3 base lacks). `distill build` with no base
 * named finds libpq.so.5 missing, maps it to libpq5 through the signed Contents index, builds the
 * python3 base with libpq5 added (its own cache entry), and the image answers over HTTP with the
 * libpq version psycopg2 loaded. On the untailored python3 base named with --base-dir, the build
 * warns with the package to add and the container cannot import psycopg2.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadArchive } from '../../src/debian/packages.ts';
import { downloadDebs } from '../../src/debian/download.ts';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/images.ts';
import { podman } from '../helpers/podman.ts';
import { getJson } from '../helpers/http.ts';
import { pullLayout, runHardened } from '../helpers/containers.ts';

const work = tempDir('distill-e2e-tailored-');
const cache = join(work, 'cache');
const app = join(work, 'orders');
const containers: string[] = [];
const images: string[] = [];

const APP = `import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "vendor"))
import psycopg2  # noqa: E402  (vendored from Debian's python3-psycopg2)
from http.server import BaseHTTPRequestHandler, HTTPServer  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"service": "orders", "libpq": psycopg2.__libpq_version__}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
`;

before(async () => {
  // The package as a user would vendor it: the files of Debian's .deb, from the apt sources.
  const archive = await loadArchive({ onWarning: () => undefined });
  const entry = archive.index.get('python3-psycopg2');
  assert.ok(entry, 'python3-psycopg2 is in the archive');
  const [deb] = await downloadDebs([entry], { progress: false });
  const x = join(work, 'deb');
  execFileSync('dpkg-deb', ['-x', deb!.path, x]);
  mkdirSync(join(app, 'vendor'), { recursive: true });
  cpSync(join(x, 'usr', 'lib', 'python3', 'dist-packages', 'psycopg2'), join(app, 'vendor', 'psycopg2'), { recursive: true });
  writeFileSync(join(app, 'app.py'), APP);
  writeFileSync(join(app, 'Dockerfile'), 'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nEXPOSE 8080\nCMD ["python", "app.py"]\n');
});

after(async () => {
  for (const c of containers) await podman(['rm', '-f', '-t', '0', c]);
  for (const i of images) await podman(['rmi', '-f', i]);
});

test('libpq.so.5 missing on python3: the build adds libpq5 to the base, and the image serves with psycopg2 loaded', async () => {
  const out = join(work, 'img');
  const r = await runDistill(['build', app, '-o', `oci:${out}:test`, '--json'], { env: { DISTILL_CACHE_DIR: cache, SOURCE_DATE_EPOCH: '1700000000' } });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.base.flavour, 'python3');
  assert.equal(j.base.added.length, 1, JSON.stringify(j.base.added));
  const [added] = j.base.added;
  assert.equal(added.package, 'libpq5');
  assert.deepEqual(added.sonames, ['libpq.so.5']);
  assert.match(added.files[0], /^\/app\/vendor\/psycopg2\/_psycopg\.cpython-3\d+-x86_64-linux-gnu\.so$/);
  assert.match(j.base.cache, /\/bases\/python3\+[0-9a-f]{12}$/, 'the tailored base has a cache entry of its own');
  // The lockfile of the tailored base pins libpq5 with the rest.
  assert.match(execFileSync('cat', [j.base.lockfile], { encoding: 'utf8' }), /"name": "libpq5"/);

  const id = await pullLayout(`oci:${out}:test`);
  images.push(id);
  const { cid, port } = await runHardened(id);
  containers.push(cid);
  const res = await getJson(`http://127.0.0.1:${port}/`, Date.now() + 60_000);
  assert.equal(res.status, 200);
  assert.equal(res.body.service, 'orders');
  assert.ok(Number(res.body.libpq) >= 100000, `libpq ${String(res.body.libpq)}`);
});

test('on an untailored python3 base named with --base-dir: a warning names libpq5, and the app cannot import psycopg2', async () => {
  const bases = join(work, 'bases');
  const b = await runDistill(['base', 'python3', '-o', join(bases, 'python3'), '--lock', join(ROOT, 'test-output', 'build-e2e-locks', 'python3.lock.json'), '--tags', 'nonroot', '-q']);
  assert.equal(b.code, 0, b.stderr);
  const out = join(work, 'plain');
  const r = await runDistill(['build', app, '--base-dir', bases, '-o', `oci:${out}:test`], { env: { DISTILL_CACHE_DIR: cache } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: the base oci:.*python3:nonroot lacks libpq\.so\.5 \(\/app\/vendor\/psycopg2\/_psycopg[^)]*\): add libpq5 \(distill base python3 --add libpq5\)/);
  const id = await pullLayout(`oci:${out}:test`);
  images.push(id);
  const run = await podman(['run', '--rm', '--read-only', '--cap-drop', 'ALL', id], { timeoutMs: 60_000 });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /libpq\.so\.5: cannot open shared object file/);
});
