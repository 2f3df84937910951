/**
 * `distill build` of a Go app whose module dependency comes from a loopback GOPROXY the test
 * serves (GOSUMDB off, a private module cache), and of a Rust app whose crate is vendored
 * (.cargo/config.toml replacing crates-io with vendor/, so cargo runs --offline): both build,
 * run read-only as 65532 and answer over HTTP.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { hasCommand, podman } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { getJson } from '../helpers/http.ts';
import { serveGoProxy, type GoProxy } from '../helpers/goproxy.ts';
import { pullLayout, runHardened } from '../helpers/containers.ts';

const execFileAsync = promisify(execFile);
const work = tempDir('distill-e2e-go-rust-');
const bases = join(work, 'bases');
const containers: string[] = [];
const images: string[] = [];
let proxy: GoProxy | undefined;

function write(dir: string, files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

before(async () => {
  for (const flavour of ['static', 'cc']) {
    const r = await runDistill(['base', flavour, '-o', join(bases, flavour), '--lock', join(ROOT, 'test-output', 'build-e2e-locks', `${flavour}.lock.json`), '--tags', 'nonroot', '-q']);
    assert.equal(r.code, 0, `distill base ${flavour}: ${r.stderr}`);
  }
});

after(async () => {
  for (const c of containers) await podman(['rm', '-f', '-t', '0', c]);
  for (const i of images) await podman(['rmi', '-f', i]);
  await proxy?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs an image layout read-only as 65532 and returns what / answers. */
async function runAndGet(layout: string): Promise<Record<string, unknown>> {
  const id = await pullLayout(`oci:${layout}:test`);
  images.push(id);
  const { cid, port } = await runHardened(id);
  containers.push(cid);
  return (await getJson(`http://127.0.0.1:${port}/`, Date.now() + 60_000)).body;
}

test('go: a module dependency from the GOPROXY go env names (loopback), built and run', { skip: hasCommand('go') ? false : 'go is needed' }, async () => {
  proxy = await serveGoProxy(
    [{ path: 'example.test/greet', version: 'v1.0.0', files: { 'go.mod': 'module example.test/greet\n\ngo 1.18\n', 'greet.go': 'package greet\n\n// Hello greets name.\nfunc Hello(name string) string { return "hello " + name }\n' } }],
    join(work, 'proxy'),
  );
  const app = write(join(work, 'go-app'), {
    'go.mod': 'module example.test/svc\n\ngo 1.18\n\nrequire example.test/greet v1.0.0\n',
    'main.go': `package main

import (
\t"fmt"
\t"net/http"

\t"example.test/greet"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
\t\tw.Header().Set("Content-Type", "application/json")
\t\tfmt.Fprintf(w, "{\\"service\\":\\"go-deps\\",\\"greeting\\":%q}", greet.Hello("distill"))
\t})
\t_ = http.ListenAndServe(":8080", nil)
}
`,
  });
  // The user's go env: the team proxy, no checksum database, a module cache of its own.
  const env = { GOPROXY: proxy.url, GOSUMDB: 'off', GONOSUMDB: '*', GOFLAGS: '-mod=mod', GOMODCACHE: join(work, 'gomodcache'), GOPATH: join(work, 'gopath'), GOENV: '/dev/null', XDG_CACHE_HOME: join(work, 'cache') };
  // The go.sum a user commits, written the way `go mod tidy` writes it.
  // Asynchronously: the proxy answers from this process's event loop.
  await execFileAsync('go', ['mod', 'tidy'], { cwd: app, env: { ...process.env, ...env } });
  const layout = join(work, 'out-go');
  const b = await runDistill(['build', app, '--base-dir', bases, '-o', `oci:${layout}:test`, '--json'], { env: { ...env, SOURCE_DATE_EPOCH: '1700000000' } });
  assert.equal(b.code, 0, b.stderr);
  assert.ok(JSON.parse(b.stdout).steps.some((s: string) => s.includes(`GOPROXY=${proxy!.url}`)), b.stdout);
  assert.ok(proxy.requests.some((p) => p.endsWith('/@v/v1.0.0.zip')), proxy.requests.join(', '));
  const body = await runAndGet(layout);
  assert.equal(body.service, 'go-deps');
  assert.equal(body.greeting, 'hello distill');
});

test('rust: a vendored crate (source replaced by vendor/) builds --offline --locked and runs', { skip: hasCommand('cargo') ? false : 'cargo is needed' }, async () => {
  const app = write(join(work, 'rust-app'), {
    'Cargo.toml': '[package]\nname = "svc"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ngreet = "0.1"\n',
    'src/main.rs': `use std::io::{Read, Write};
use std::net::TcpListener;

fn main() {
    let listener = TcpListener::bind("0.0.0.0:8080").unwrap();
    for stream in listener.incoming() {
        let mut s = stream.unwrap();
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf);
        let body = format!("{{\\"service\\":\\"rust-deps\\",\\"greeting\\":\\"{}\\"}}", greet::hello("distill"));
        let _ = write!(s, "HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: {}\\r\\nConnection: close\\r\\n\\r\\n{}", body.len(), body);
    }
}
`,
    '.cargo/config.toml': '[source.crates-io]\nreplace-with = "vendored-sources"\n\n[source.vendored-sources]\ndirectory = "vendor"\n',
    'vendor/greet/Cargo.toml': '[package]\nname = "greet"\nversion = "0.1.0"\nedition = "2021"\n',
    'vendor/greet/src/lib.rs': 'pub fn hello(name: &str) -> String {\n    format!("hello {}", name)\n}\n',
    'vendor/greet/.cargo-checksum.json': '{"files":{},"package":null}',
  });
  // The Cargo.lock a user commits, resolved against the vendored source only.
  execFileSync('cargo', ['generate-lockfile', '--offline'], { cwd: app, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CARGO_TERM_COLOR: 'never' } });
  const layout = join(work, 'out-rust');
  const b = await runDistill(['build', app, '--base-dir', bases, '-o', `oci:${layout}:test`, '--json'], { env: { SOURCE_DATE_EPOCH: '1700000000', XDG_CACHE_HOME: join(work, 'cache') } });
  assert.equal(b.code, 0, b.stderr);
  assert.ok(JSON.parse(b.stdout).steps.some((s: string) => /--locked --offline/.test(s)), b.stdout);
  const body = await runAndGet(layout);
  assert.equal(body.service, 'rust-deps');
  assert.equal(body.greeting, 'hello distill');
});
