/**
 * The network guard that every test file runs under: a test that reaches a non-loopback host
 * fails, even when the code under test swallows the error; loopback servers, `localhost` and unix
 * sockets work as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ROOT } from './cli.ts';
import { isLoopbackHost } from './network-guard.mjs';

const GUARD = join(ROOT, 'test', 'helpers', 'network-guard.mjs');

function runUnderGuard(body: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'distill-guard-'));
  try {
    const file = join(dir, 'probe.test.mts');
    writeFileSync(file, `import { test } from 'node:test';\n${body}\n`);
    // A fresh runner: without NODE_TEST_CONTEXT the child reports its own exit status, and without
    // this process's guard settings what it refuses is its own, not handed up to this test file.
    const { NODE_TEST_CONTEXT: _ctx, NODE_OPTIONS: _opts, DISTILL_TEST_GUARD_DIR: _dir, DISTILL_TEST_GUARD_LOG: _log, ...env } = process.env;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', GUARD, '--test', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a test that reaches a non-loopback host fails, even when the error is swallowed', () => {
  const r = runUnderGuard(`test('swallows', async () => {
    await fetch('https://osv-vulnerabilities.storage.googleapis.com/ecosystems.txt').catch(() => undefined);
    await new Promise((ok) => import('node:dns').then((d) => d.lookup('example.com', () => ok(undefined))));
  });`);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /network guard: a test tried to reach osv-vulnerabilities\.storage\.googleapis\.com/);
  assert.match(r.out, /network guard: a test tried to reach example\.com \(DNS lookup\)/);
});

test('a node child the test starts is guarded too, and what it refused fails the test file even when the child exits 0', () => {
  const r = runUnderGuard(`import { execFileSync } from 'node:child_process';
  test('spawns', () => {
    execFileSync(process.execPath, ['-e', "fetch('https://registry.npmjs.org/left-pad').catch(() => undefined).then(() => process.exit(0))"], { stdio: 'ignore' });
  });`);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /network guard: a test tried to reach registry\.npmjs\.org.*\(in a child process\)/);
});

test('loopback by address and by name, and unix sockets, are allowed', async () => {
  const r = runUnderGuard(`import { createServer } from 'node:http';
  import { mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
  import { request } from 'node:http';
  test('loopback', async () => {
    const s = createServer((_q, res) => res.end('ok'));
    await new Promise((r) => s.listen(0, '127.0.0.1', r));
    const port = s.address().port;
    for (const h of ['127.0.0.1', 'localhost']) if ((await (await fetch('http://' + h + ':' + port + '/')).text()) !== 'ok') throw new Error(h);
    s.close();
    const sock = join(mkdtempSync(join(tmpdir(), 'g-')), 's.sock');
    const u = createServer((_q, res) => res.end('unix'));
    await new Promise((r) => u.listen(sock, r));
    const got = await new Promise((ok, no) => request({ socketPath: sock, path: '/' }, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => ok(b)); }).on('error', no).end());
    u.close();
    if (got !== 'unix') throw new Error('unix socket');
  });`);
  assert.equal(r.status, 0, r.out);
  // This file itself runs under the guard: a loopback server answers here too.
  const s = createServer((_q, res) => res.end('here'));
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  try {
    assert.equal(await (await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`)).text(), 'here');
  } finally {
    s.close();
  }
});

test('names under .invalid fail with ENOTFOUND at once and do not count as an attempt', () => {
  const r = runUnderGuard(`import { lookup } from 'node:dns';
  test('invalid', async () => {
    const e = await fetch('http://no-such-host.invalid/').catch((x) => x.cause);
    if (e.code !== 'ENOTFOUND') throw new Error('fetch: ' + e.code);
    const d = await new Promise((ok) => lookup('mirror.example.invalid', (err) => ok(err)));
    if (d.code !== 'ENOTFOUND') throw new Error('lookup: ' + d.code);
  });`);
  assert.equal(r.status, 0, r.out);
  assert.doesNotMatch(r.out, /network guard/);
});

test('what counts as this machine: loopback and its own interface addresses, nothing else', () => {
  const own = Object.values(networkInterfaces()).flat().filter((i) => i !== undefined).map((i) => i.address);
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'registry.localhost', '::ffff:127.0.0.1', ...own]) assert.equal(isLoopbackHost(h), true, h);
  const others = ['10.0.0.1', '192.168.1.1', '198.51.100.7', '8.8.8.8', '::ffff:8.8.8.8', '2001:db8::99'].filter((h) => !own.includes(h));
  for (const h of [...others, 'example.com', 'localhost.example.com']) assert.equal(isLoopbackHost(h), false, h);
});
