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
