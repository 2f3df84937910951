import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDistill } from '../helpers/cli.ts';

test('--help explains the program and exits 0', async () => {
  const r = await runDistill(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: distill/);
});

test('an unknown flag is a usage error: one line on stderr, exit 2', async () => {
  const r = await runDistill(['--no-such-flag']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--no-such-flag'/);
});

test('top-level help lists every command although commands load lazily; `help CMD` and `CMD --help` show that command', async () => {
  const { COMMANDS } = await import('../../src/cli/commands/index.ts');
  const all = await runDistill(['--help']);
  for (const name of Object.keys(COMMANDS)) assert.match(all.stdout, new RegExp(`^  ${name} `, 'm'), `${name} in --help`);
  for (const argv of [['help', 'push'], ['push', '--help']]) {
    const r = await runDistill(argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.match(r.stdout, /^Usage: distill push /m);
  }
  const v = await runDistill(['--version']);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
});

test('an unknown command is a usage error naming it', async () => {
  const r = await runDistill(['inpsect', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^distill: unknown command 'inpsect'/);
  assert.match(r.stderr, /inspect/, 'suggests the nearest command');
});

test('every flag the build errors suggest exists on both build and harden (harden takes the same overrides)', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = join(import.meta.dirname, '..', '..', 'src', 'assemble');
  // Flags named in the builders' messages to the user ("pass --artifact BINARY", "pass --cmd").
  const suggested = new Set<string>();
  for (const f of readdirSync(dir)) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/\bpass (--[a-z][a-z-]+)/g)) suggested.add(m[1]!);
  }
  assert.ok(suggested.has('--artifact') && suggested.has('--runtime'), [...suggested].join(' '));
  for (const cmd of ['build', 'harden']) {
    const help = (await runDistill([cmd, '--help'])).stdout;
    for (const flag of [...suggested, '--cmd', '--entrypoint', '--port']) assert.match(help, new RegExp(`\\s${flag}[ ,]`), `${cmd} --help lists ${flag}`);
  }
});
