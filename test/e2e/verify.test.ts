/**
 * `distill verify` with podman: a distroless python3 image built by `distill base` passes (uid
 * 65532, no shell, up read-only, probe answered, test file run without a shell); a traditional
 * Debian image made by mmdebstrap fails on "runs as root" and "shell present"; a crashing app and
 * failing tests are reported with their reasons.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';
import { podman, podmanEnv } from '../helpers/podman.ts';
import { makeLayer, tempDir } from '../helpers/images.ts';
import type { VerifyResult } from '../../src/runtime/verify.ts';
import { openImage, writeImage } from '../../src/oci/reference.ts';
import { appendLayers } from '../../src/mutate/mutate.ts';
import { randomBytes } from 'node:crypto';

const work = tempDir('distill-e2e-verify-');
const env = podmanEnv();
const PY = `oci:${join(work, 'py')}:nonroot`;
const FAT = `distill-e2e-verify-fat-${process.pid}`;

before(async () => {
  const b = await runDistill(['base', 'python3', '-o', join(work, 'py'), '--lock', join(work, 'py.lock'), '--quiet']);
  assert.equal(b.code, 0, b.stderr);
  const tar = join(work, 'fat.tar');
  execFileSync('mmdebstrap', ['--quiet', '--variant=apt', 'bookworm', tar, '/etc/apt/sources.list.d/debian.sources'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const imp = await podman(['import', tar, FAT]);
  assert.equal(imp.code, 0, imp.stderr);
});

after(async () => {
  await podman(['rmi', '-f', FAT]);
});

async function verify(args: string[]): Promise<{ code: number; json: VerifyResult; stderr: string }> {
  const r = await runDistill(['verify', '--json', ...args], { env });
  assert.ok(r.stdout.trim().startsWith('{'), `no JSON: ${r.stdout} ${r.stderr}`);
  return { code: r.code, json: JSON.parse(r.stdout) as VerifyResult, stderr: r.stderr };
}

const byId = (r: VerifyResult) => Object.fromEntries(r.checks.map((c) => [c.id, c]));

test('distroless python3 serving HTTP passes every check, probe and tests included', async () => {
  const port = 20000 + (process.pid % 20000);
  const tests = join(work, 'tests.yaml');
  writeFileSync(
    tests,
    [
      'tests:',
      '  - name: python',
      '    fileExists: /usr/bin/python3',
      '    type: file',
      '    mode: "0755"',
      '    uid: 0',
      '  - name: no shell file',
      '    fileAbsent: /bin/sh',
      '  - name: no apt',
      '    fileAbsent: /usr/bin/apt',
      '  - name: python version',
      '    command: ["/usr/bin/python3", "--version"]',
      '    expectedOutput: ["^Python 3\\\\.\\\\d+"]',
      '    excludedOutput: ["Python 2"]',
      '  - name: exit code',
      '    command: ["/usr/bin/python3", "-c", "import sys; sys.exit(3)"]',
      '    exitCode: 3',
      '',
    ].join('\n'),
  );
  // Something else already answers on the host's port: the probe must reach the container anyway.
  const squatter = createServer((_req, res) => res.writeHead(503).end('not the app'));
  await new Promise<void>((ok) => squatter.listen(port, '127.0.0.1', ok));
  const r = await verify([PY, '--probe', `http://127.0.0.1:${port}/passwd`, '--tests', tests, '--', '-m', 'http.server', String(port), '-d', '/etc']).finally(() => squatter.close());
  assert.equal(r.code, 0, JSON.stringify(r.json.checks, null, 1));
  assert.equal(r.json.passed, true);
  const c = byId(r.json);
  assert.deepEqual(Object.keys(c), ['non-root', 'no-shell', 'probe', 'read-only', 'ports', 'test:python', 'test:no shell file', 'test:no apt', 'test:python version', 'test:exit code']);
  assert.match(c['non-root']!.reason, /uid 65532 gid 65532/);
  assert.match(c['probe']!.reason, new RegExp(`^http://127\\.0\\.0\\.1:${port}/passwd \\(published on 127\\.0\\.0\\.1:\\d+\\) answered HTTP 200$`));
  assert.match(c['read-only']!.reason, /still running after \d/);
  // The image EXPOSEs nothing; what the process listens on is read from the container's /proc.
  assert.equal(c['ports']!.reason, `listens on ${port}; the image EXPOSEs no port`);
  assert.match(c['test:python']!.reason, /at \/usr\/bin\/python3\.\d+/);
  // Other test files may be verifying at the same time: ask about this run's container only.
  assert.match(r.json.container, /^distill-verify-[0-9a-f]+$/);
  assert.notEqual((await podman(['container', 'exists', r.json.container])).code, 0, 'no container left behind');
});

test('an image verify imports into podman\'s store is removed again', async () => {
  // A config no other test (or earlier run) can have put in the store: the base plus a unique file.
  const unique = appendLayers(await openImage(PY), { layer: await makeLayer([{ name: 'etc/', type: 'directory' }, { name: 'etc/verify-run-id', content: randomBytes(16).toString('hex') }]) });
  const ref = `oci:${join(work, 'unique')}:nonroot`;
  await writeImage(unique, ref);
  const configHex = (await unique.manifest()).config.digest.slice(7);
  assert.notEqual((await podman(['image', 'exists', configHex])).code, 0);
  const r = await verify([ref, '--duration', '1', '--', '-c', 'import time; time.sleep(30)']);
  assert.equal(r.json.passed, true, JSON.stringify(r.json.checks));
  assert.notEqual((await podman(['image', 'exists', configHex])).code, 0, 'no image left behind in the store');
});

test('traditional Debian image fails on "runs as root" and "shell present"; text output says so', async () => {
  const r = await verify([`podman:${FAT}`, '--entrypoint', 'sleep', '--', '30']);
  assert.equal(r.code, 1);
  const c = byId(r.json);
  assert.equal(c['non-root']!.status, 'fail');
  assert.match(c['non-root']!.reason, /^runs as root: the process has uid 0/);
  assert.equal(c['no-shell']!.status, 'fail');
  assert.match(c['no-shell']!.reason, /^shell present: `sh -c true`, `\/bin\/sh -c true`, `bash -c true` ran$/);
  assert.equal(c['read-only']!.status, 'pass', 'sleep runs fine read-only');
  const text = await runDistill(['verify', `podman:${FAT}`, '--entrypoint', 'sleep', '--duration', '1', '--', '30'], { env });
  assert.equal(text.code, 1);
  assert.match(text.stdout, /runs as root/);
  assert.match(text.stdout, /shell present/);
  assert.match(text.stdout, /not verified: .* failed non-root, no-shell/);
  assert.equal((await podman(['image', 'exists', FAT])).code, 0, 'an image that was in the store before stays there');
});

test('a one-shot that exits 0 passes; one that fails read-only is reported with its output', async () => {
  const ok = await verify([PY, '--duration', '1', '--', '-c', 'print("done")']);
  assert.equal(ok.code, 0, JSON.stringify(ok.json.checks));
  assert.match(byId(ok.json)['read-only']!.reason, /one-shot: exited 0/);
  assert.match(byId(ok.json)['non-root']!.reason, /65532/);
  const bad = await verify([PY, '--duration', '1', '--', '-c', 'open("/written", "w")']);
  assert.equal(bad.code, 1);
  const ro = byId(bad.json)['read-only']!;
  assert.equal(ro.status, 'fail');
  assert.match(ro.reason, /exited with code 1 read-only: .*(Read-only file system|Permission denied)/);
});

test('failing tests are reported one by one with what was found', async () => {
  const tests = join(work, 'bad.yaml');
  writeFileSync(
    tests,
    [
      'tests:',
      '  - name: wrong mode',
      '    fileExists: /etc/passwd',
      '    mode: "0600"',
      '  - name: missing',
      '    fileExists: /app/server.py',
      '  - name: present',
      '    fileAbsent: /etc/os-release',
      '  - name: output',
      '    command: ["/usr/bin/python3", "--version"]',
      '    expectedOutput: ["^Python 2"]',
      '',
    ].join('\n'),
  );
  const r = await verify([PY, '--duration', '0', '--tests', tests, '--', '-c', 'pass']);
  assert.equal(r.code, 1);
  const c = byId(r.json);
  assert.match(c['test:wrong mode']!.reason, /mode 0644, want 0600/);
  assert.match(c['test:missing']!.reason, /does not exist/);
  assert.match(c['test:present']!.reason, /\/etc\/os-release exists \((symlink|file)/);
  assert.match(c['test:output']!.reason, /stdout does not match \/\^Python 2\//);
  assert.equal(c['no-shell']!.status, 'pass');

  writeFileSync(tests, 'tests:\n  - name: x\n    fileExists: /a\n    fileAbsent: /b\n');
  const invalid = await runDistill(['verify', PY, '--tests', tests], { env });
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /bad\.yaml: .*exactly one of fileExists, fileAbsent, command/);
});
