/**
 * The examples/ apps: their traditional Dockerfiles convert cleanly for Google's images and for
 * local `distill base` images, the converted command names a file the app really has, and the
 * apps themselves answer / and /health (run here directly; the podman build is an e2e test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { freeLoopbackPort } from '../../src/util/net.ts';
import { join } from 'node:path';
import { convertDockerfile } from '../../src/dockerfile/convert/index.ts';
import { ROOT } from '../helpers/cli.ts';

const EX = join(ROOT, 'examples');

function convert(name: string, basePrefix?: string) {
  const dir = join(EX, name);
  return convertDockerfile(readFileSync(join(dir, 'Dockerfile'), 'utf8'), { context: dir, basePrefix });
}

test('node-express converts to nodejs with CMD naming server.js', () => {
  const r = convert('node-express');
  assert.deepEqual(r.warnings, []);
  assert.equal(r.base, 'gcr.io/distroless/nodejs22-debian13:nonroot');
  assert.match(r.dockerfile, /^CMD \["server\.js"\]$/m);
  assert.ok(existsSync(join(EX, 'node-express', 'server.js')));
  const local = convert('node-express', 'localhost/distill');
  assert.equal(local.base, 'localhost/distill/nodejs:nonroot');
  assert.deepEqual(local.warnings, []);
});

test('python-http converts to python3 with CMD naming app.py', () => {
  const r = convert('python-http');
  assert.deepEqual(r.warnings, []);
  assert.equal(r.base, 'gcr.io/distroless/python3-debian13:nonroot');
  assert.match(r.dockerfile, /^CMD \["app\.py"\]$/m);
  assert.ok(existsSync(join(EX, 'python-http', 'app.py')));
  assert.equal(convert('python-http', 'localhost/distill').base, 'localhost/distill/python3:nonroot');
});

test('go-http converts to base (cgo not disabled) with the binary the build writes', () => {
  const r = convert('go-http');
  assert.deepEqual(r.warnings, []);
  assert.equal(r.base, 'gcr.io/distroless/base-debian13:nonroot');
  assert.match(r.dockerfile, /^RUN go build -o \/app\/server \.$/m);
  assert.match(r.dockerfile, /^COPY --from=build \/app\/server \/app\/server$/m);
  assert.match(r.dockerfile, /^CMD \["\/app\/server"\]$/m);
  assert.equal(convert('go-http', 'localhost/distill').base, 'localhost/distill/base:nonroot');
});


async function serve(cmd: string, args: string[], cwd: string): Promise<void> {
  const port = await freeLoopbackPort();
  const child = spawn(cmd, args, { cwd, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  try {
    let root: Response | undefined;
    for (let i = 0; i < 50 && !root; i++) {
      root = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      if (!root) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(root, 'server answered');
    assert.equal(root.status, 200);
    assert.match(((await root.json()) as { message: string }).message, /distroless/);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    assert.equal((await fetch(`http://127.0.0.1:${port}/nope`)).status, 404);
  } finally {
    child.kill('SIGTERM');
  }
}

test('the node example answers / and /health on $PORT', () => serve(process.execPath, ['server.js'], join(EX, 'node-express')));

test('the python example answers / and /health on $PORT', () => serve('python3', ['app.py'], join(EX, 'python-http')));
