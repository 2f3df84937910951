/**
 * Corpus outputs that claim `converted` build and start: twelve cases of test/fixtures/convert-corpus
 * (Node npm start, ENV-resolved ports, inherited CMDs, dev/test/prod stages, a numeric USER, an
 * already-distroless file; Go with an ARG FROM, `go run`, an already-distroless file; Rust; Python,
 * one of them a venv built in a builder stage) are converted
 * with `--base-prefix` onto runtime bases from `distill base`, built with podman and run read-only
 * with all capabilities dropped, and must answer HTTP with the service's name. This machine cannot
 * pull Docker Hub images, so each case is copied, its FROM lines pointed at the local toolchain
 * images of test/helpers/builders.ts, and its app written here: a dependency-free HTTP server (the
 * builders have no network for npm downloads), with the manifests the Dockerfile names. The venv
 * case installs a package the test builds and serves from a loopback PyPI index, through a builder
 * whose pip is configured for that index (as a company builder image is for its own index), so
 * its answer shows the package was imported from the copied venv.
 * `convert --verify` is checked on one case that starts and one whose program exits.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freeLoopbackPort } from '../../src/util/net.ts';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { podman, podmanEnv } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { BUILDERS, ensureBuilder, type BuilderKind } from '../helpers/builders.ts';
import { getJson } from '../helpers/http.ts';
import { buildWheels, isolatedPipEnv, servePypi, wheelBuilder, type PypiIndex } from '../helpers/pypi-index.ts';

const PREFIX = 'localhost/distill-e2e/corpus';
const CORPUS = join(ROOT, 'test', 'fixtures', 'convert-corpus');
const work = tempDir('distill-e2e-corpus-');
const locks = join(ROOT, 'test-output', 'convert-corpus-locks');
const containers: string[] = [];
const images: string[] = [];

const nodeServer = (port: number, service: string) => `const http = require('node:http');
const i = process.argv.indexOf('--port');
const port = Number(i > 0 ? process.argv[i + 1] : process.env.PORT || ${port});
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: ${JSON.stringify(service)}, uid: process.getuid() }));
}).listen(port, '0.0.0.0');
`;
const goServer = (port: number, service: string) => `package main

import (
\t"fmt"
\t"net/http"
\t"os"
)

func main() {
\taddr := ":${port}"
\tfor i, a := range os.Args {
\t\tif a == "--listen" && i+1 < len(os.Args) {
\t\t\taddr = os.Args[i+1]
\t\t}
\t}
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
\t\tw.Header().Set("content-type", "application/json")
\t\tfmt.Fprintf(w, "{\\"service\\":%q,\\"uid\\":%d}", ${JSON.stringify(service)}, os.Getuid())
\t})
\tif err := http.ListenAndServe(addr, nil); err != nil {
\t\tpanic(err)
\t}
}
`;
const pkg = (name: string, start?: string) => JSON.stringify({ name, version: '1.0.0', ...(start ? { scripts: { start } } : {}) });
const lock = (name: string) => JSON.stringify({ name, version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name, version: '1.0.0' } } });

interface Case {
  name: string;
  builder: BuilderKind;
  /** Which FROM images are builder images (pointed at the local builder). */
  from: RegExp;
  flavour: string;
  port: number;
  files: Record<string, string>;
  /** The output must be the input (class 9: already distroless). */
  unchanged?: boolean;
  /** The builder stage installs requirements from the loopback index (the build gets the host's network). */
  pypi?: boolean;
}

const CASES: Case[] = [
  { name: 'node-express-npm-start', builder: 'node', from: /^node:/, flavour: 'nodejs', port: 3000, files: { 'package.json': pkg('orders-api', 'node src/server.js'), 'package-lock.json': lock('orders-api'), 'src/server.js': nodeServer(3000, 'orders-api') } },
  { name: 'node-port-env', builder: 'node', from: /^node:/, flavour: 'nodejs', port: 8080, files: { 'package.json': pkg('echo'), 'package-lock.json': lock('echo'), 'server.js': nodeServer(1, 'echo') } },
  { name: 'node-inherited-cmd', builder: 'node', from: /^node:/, flavour: 'nodejs', port: 5000, files: { 'package.json': pkg('webhooks', 'node app.js'), 'package-lock.json': lock('webhooks'), 'app.js': nodeServer(1, 'webhooks') } },
  { name: 'node-dev-test-prod', builder: 'node', from: /^node:/, flavour: 'nodejs', port: 8080, files: { 'package.json': pkg('notifications', 'node src/index.js'), 'package-lock.json': lock('notifications'), 'src/index.js': nodeServer(8080, 'notifications') } },
  { name: 'node-user-numeric', builder: 'node', from: /^node:/, flavour: 'nodejs', port: 3000, files: { 'package.json': pkg('chat'), 'package-lock.json': lock('chat'), 'index.js': nodeServer(3000, 'chat') } },
  { name: 'node-onbuild-builder', builder: 'node', from: /^node:/, flavour: 'nodejs', port: 8080, files: { 'package.json': pkg('onbuilt'), 'package-lock.json': lock('onbuilt'), 'main.js': nodeServer(8080, 'onbuilt') } },
  { name: 'distroless-nodejs', builder: 'node', from: /^node:/, flavour: 'nodejs', port: 3000, unchanged: true, files: { 'package.json': pkg('edge'), 'package-lock.json': lock('edge'), 'server.js': nodeServer(3000, 'edge') } },
  { name: 'go-arg-from', builder: 'go', from: /^golang:/, flavour: 'base', port: 9000, files: { 'go.mod': 'module github.com/acme/api\n\ngo 1.19\n', 'cmd/api/main.go': goServer(1, 'api') } },
  { name: 'go-run-dev', builder: 'go', from: /^golang:/, flavour: 'static', port: 8080, files: { 'go.mod': 'module github.com/acme/hello\n\ngo 1.19\n', 'main.go': goServer(8080, 'hello') } },
  // go-mount-cache is not here: podman's builder wants absolute bind-mount targets (BuildKit takes relative ones).
  { name: 'go-distroless-static', builder: 'go', from: /^golang:/, flavour: 'static', port: 8080, unchanged: true, files: { 'go.mod': 'module github.com/acme/inventory\n\ngo 1.19\n', 'go.sum': '', 'cmd/server/main.go': goServer(8080, 'inventory') } },
  {
    name: 'rust-bookworm-slim', builder: 'rust', from: /^rust:/, flavour: 'cc', port: 8080,
    files: {
      'Cargo.lock': '# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n\n[[package]]\nname = "linkcheck"\nversion = "0.4.2"\n',
      'src/main.rs': 'use std::io::{Read, Write};\nuse std::net::TcpListener;\n\nfn main() {\n    let l = TcpListener::bind("0.0.0.0:8080").unwrap();\n    for s in l.incoming() {\n        let mut s = s.unwrap();\n        let mut buf = [0u8; 1024];\n        let _ = s.read(&mut buf);\n        let body = "{\\"service\\":\\"linkcheck\\"}";\n        let _ = write!(s, "HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: {}\\r\\nconnection: close\\r\\n\\r\\n{}", body.len(), body);\n    }\n}\n',
    },
  },
  {
    name: 'python-312-builder', builder: 'python', from: /^python:/, flavour: 'python3', port: 8000,
    files: { 'requirements.txt': '# no third-party packages\n', 'main.py': 'import json, os\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\n\nclass H(BaseHTTPRequestHandler):\n    def do_GET(self):\n        body = json.dumps({"service": "report", "uid": os.getuid()}).encode()\n        self.send_response(200)\n        self.send_header("content-type", "application/json")\n        self.end_headers()\n        self.wfile.write(body)\n\nHTTPServer(("0.0.0.0", 8000), H).serve_forever()\n' },
  },
  {
    name: 'python-venv-multistage', builder: 'python', from: /^python:/, flavour: 'python3', port: 8080, pypi: true,
    files: {
      'requirements.txt': '# pinned by pip-compile\nservicetag==0.3.1\n',
      'app/__init__.py': '',
      'app/__main__.py': 'import json, os\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\n\nimport servicetag\n\n\nclass H(BaseHTTPRequestHandler):\n    def do_GET(self):\n        body = json.dumps({"service": servicetag.NAME, "venv": servicetag.__file__, "uid": os.getuid()}).encode()\n        self.send_response(200)\n        self.send_header("content-type", "application/json")\n        self.end_headers()\n        self.wfile.write(body)\n\n\nHTTPServer(("0.0.0.0", 8080), H).serve_forever()\n',
    },
  },
];

/** The builder whose pip installs from the loopback index, and the index; set in before(). */
let pypi: { index: PypiIndex; builder: string } | undefined;

/** Builds the `servicetag` wheel, serves it, and derives a builder image whose pip uses that index. */
async function startPypi(): Promise<{ index: PypiIndex; builder: string }> {
  const py = wheelBuilder();
  assert.ok(py, 'a python3 with setuptools and wheel builds the test wheel');
  const src = join(work, 'pkg', 'servicetag');
  mkdirSync(join(src, 'servicetag'), { recursive: true });
  writeFileSync(join(src, 'pyproject.toml'), '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "servicetag"\nversion = "0.3.1"\n');
  writeFileSync(join(src, 'servicetag', '__init__.py'), 'NAME = "ledger"\n');
  const wheels = join(work, 'wheels');
  buildWheels(py.python, [src], wheels, isolatedPipEnv(join(work, 'pip-cache')));
  const index = await servePypi(wheels);
  const ctx = join(work, 'pip-builder');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BUILDERS.python.ref}\nENV PIP_INDEX_URL=${index.url} PIP_TRUSTED_HOST=127.0.0.1\n`);
  // Named for the Python it holds, so convert knows the venv's site-packages path (lib/python3.11).
  const builder = `${PREFIX}-pip/python:3.11`;
  const b = await podman(['build', '--pull=never', '-q', '-t', builder, ctx]);
  assert.equal(b.code, 0, b.stderr);
  images.push(builder);
  return { index, builder };
}

/** The case copied with its app written and builder FROM lines pointed at the local builder; returns the context dir. */
function prepare(c: Case): string {
  const ctx = join(work, 'ctx', c.name);
  cpSync(join(CORPUS, c.name), ctx, { recursive: true });
  for (const [f, text] of Object.entries(c.files)) {
    mkdirSync(dirname(join(ctx, f)), { recursive: true });
    writeFileSync(join(ctx, f), text);
  }
  const df = join(ctx, 'Dockerfile');
  const text = readFileSync(df, 'utf8')
    .split('\n')
    .map((l) => {
      const m = /^FROM\s+(\S+)(.*)$/.exec(l);
      if (!m) return l;
      if (/^gcr\.io\/distroless\//.test(m[1]!)) return `FROM ${PREFIX}/${c.flavour}:nonroot${m[2]}`;
      if (!c.from.test(m[1]!)) return l;
      return `FROM ${c.pypi ? pypi!.builder : BUILDERS[c.builder].ref}${m[2]}`;
    })
    .join('\n');
  writeFileSync(df, text);
  return ctx;
}

before(async () => {
  mkdirSync(locks, { recursive: true });
  for (const flavour of [...new Set(CASES.map((c) => c.flavour))]) {
    const r = await runDistill(['base', flavour, ...(flavour === 'nodejs' ? ['--node', '22'] : []), '-o', join(work, 'bases', flavour), '--lock', join(locks, `${flavour}.lock.json`), '--tags', 'nonroot', '--load', `${PREFIX}/${flavour}`, '-q'], { env: podmanEnv() });
    assert.equal(r.code, 0, `distill base ${flavour}: ${r.stderr}`);
    images.push(`${PREFIX}/${flavour}:nonroot`);
  }
  // Builder images are shared with other test files running at the same time: kept, never removed here.
  for (const kind of [...new Set(CASES.map((c) => c.builder))]) await ensureBuilder(kind);
  if (CASES.some((c) => c.pypi)) pypi = await startPypi();
});

after(async () => {
  await pypi?.index.close();
  for (const c of containers) await podman(['rm', '-f', '-t', '0', c]);
  for (const i of images) await podman(['rmi', '-f', i]);
  rmSync(work, { recursive: true, force: true });
});


test('at least 12 corpus cases in 3+ languages are built and run here, each one the manifest says is written', () => {
  const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { cases: Record<string, { status: string; language: string }> };
  assert.ok(CASES.length >= 12);
  assert.ok(new Set(CASES.map((c) => manifest.cases[c.name]!.language)).size >= 3);
  // python-312-builder is `review` as written (its 3.12 builder differs from the base's 3.13); here
  // its builder is the base's own Python, and every case below must convert with exit 0.
  for (const c of CASES) assert.match(manifest.cases[c.name]?.status ?? '', /^(converted|review)$/, c.name);
  const dockerfile = (c: Case) => readFileSync(join(CORPUS, c.name, 'Dockerfile'), 'utf8');
  assert.ok(CASES.some((c) => /python3? -m venv /.test(dockerfile(c))), 'a venv app is among them');
  assert.ok(CASES.some((c) => /CMD \["npm", ?"start"\]|CMD npm start/.test(dockerfile(c))), 'an npm-start app is among them');
});

for (const c of CASES) {
  test(`corpus ${c.name}: the converted Dockerfile builds with podman and answers HTTP read-only as non-root`, async () => {
    const ctx = prepare(c);
    const input = readFileSync(join(ctx, 'Dockerfile'), 'utf8');
    const out = join(ctx, 'Dockerfile.distroless');
    const conv = await runDistill(['convert', join(ctx, 'Dockerfile'), '--base-prefix', PREFIX, '-o', out, '-q']);
    assert.equal(conv.code, 0, conv.stderr);
    const text = readFileSync(out, 'utf8');
    if (c.unchanged) assert.equal(text, input, 'an already-distroless file is left as it is');
    const fin = text.split('\n').filter((l) => /^FROM /.test(l)).pop()!;
    assert.match(fin, new RegExp(`^FROM ${PREFIX}/${c.flavour}:nonroot`));

    const tag = `${PREFIX}-${c.name}:test`;
    const b = await podman(['build', '--pull=never', '--network', c.pypi ? 'host' : 'none', '-q', '-t', tag, '-f', out, ctx], { timeoutMs: 600_000 });
    assert.equal(b.code, 0, `podman build:\n${b.stdout}\n${b.stderr}`);
    images.push(tag);

    const port = await freeLoopbackPort();
    const run = await podman(['run', '-d', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-p', `127.0.0.1:${port}:${c.port}`, tag]);
    assert.equal(run.code, 0, run.stderr);
    containers.push(run.stdout.trim());
    const res = await getJson(`http://127.0.0.1:${port}/`, Date.now() + 60_000);
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.service, 'string');
    if (c.pypi) {
      // The service name comes from the package pip put in the builder's venv, imported from the copy.
      assert.equal(res.body.service, 'ledger');
      assert.match(String(res.body.venv), /^\/opt\/venv\/lib\/python3\.\d+\/site-packages\/servicetag\/__init__\.py$/);
      assert.ok(pypi!.index.served.includes('servicetag-0.3.1-py3-none-any.whl'), 'pip fetched the wheel from the loopback index');
    }
    const user = (await podman(['image', 'inspect', '--format', '{{.Config.User}}', tag])).stdout.trim();
    // An untouched distroless file keeps its author's `USER nonroot`, which that base's passwd holds.
    if (c.unchanged && /^nonroot(:nonroot)?$/.test(user)) assert.equal(res.body.uid, 65532);
    else {
      assert.match(user, /^[1-9]\d*(:\d+)?$/, `non-root by number: ${user}`);
      if (res.body.uid !== undefined) assert.equal(res.body.uid, Number(user.split(':')[0]));
    }
  });
}

test('convert --verify: an output that builds and starts is converted; one whose program exits is refused with its error (exit 3)', async () => {
  const ok = prepare(CASES[0]!);
  const good = await runDistill(['convert', join(ok, 'Dockerfile'), '--base-prefix', PREFIX, '--verify', '--json'], { env: podmanEnv() });
  assert.equal(good.code, 0, good.stderr);
  assert.deepEqual(JSON.parse(good.stdout).verify, { engine: 'podman', built: true, started: true });

  const bad = prepare({ ...CASES[1]!, name: 'node-port-env' });
  writeFileSync(join(bad, 'server.js'), "throw new Error('database unreachable');\n");
  const r = await runDistill(['convert', join(bad, 'Dockerfile'), '--base-prefix', PREFIX, '--verify', '-o', join(bad, 'out.Dockerfile')], { env: podmanEnv() });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /refused: --verify: the container exited 1: Error: database unreachable/);
});
