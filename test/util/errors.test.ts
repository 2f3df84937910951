/**
 * DistillError's codes: the older constructor forms keep compiling and get a code from their
 * exit status, the options form gets an exit status from its code, and the forms users see
 * (the one line, the --json object) carry what they need and nothing that repaints a terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  asDistillError,
  codeOf,
  defaultExitCode,
  DistillError,
  ERROR_CODES,
  isDistillError,
  toReportable,
  type ErrorCode,
} from '../../src/util/errors.ts';
import { ROOT } from '../helpers/cli.ts';

test('the older forms get a code from their exit status: 2 input, 3 refused, 1 findings', () => {
  const plain = new DistillError('Dockerfile', 'no such file');
  assert.deepEqual([plain.code, plain.exitCode], ['E_INPUT', 2]);
  const two = new DistillError('x', 'm', 2);
  assert.deepEqual([two.code, two.exitCode], ['E_INPUT', 2]);
  const three = new DistillError('x', 'm', 3);
  assert.deepEqual([three.code, three.exitCode], ['E_REFUSED', 3]);
  const one = new DistillError('x', 'm', 1);
  assert.deepEqual([one.code, one.exitCode], ['E_FINDINGS', 1]);
  assert.ok(plain instanceof Error);
  assert.equal(plain.message, 'no such file');
  assert.equal(plain.input, 'Dockerfile');
});

test('the options form gets its exit status from the code unless it says otherwise', () => {
  assert.equal(new DistillError('x', 'm', { code: 'E_REFUSED' }).exitCode, 3);
  assert.equal(new DistillError('x', 'm', { code: 'E_UNTRUSTED' }).exitCode, 3);
  assert.equal(new DistillError('x', 'm', { code: 'E_NOT_FOUND' }).exitCode, 2);
  assert.equal(new DistillError('x', 'm', { code: 'E_DIGEST_MISMATCH' }).exitCode, 2);
  assert.equal(new DistillError('x', 'm', { code: 'E_FINDINGS' }).exitCode, 1);
  const over = new DistillError('x', 'm', { code: 'E_NOT_FOUND', exitCode: 3 });
  assert.deepEqual([over.code, over.exitCode], ['E_NOT_FOUND', 3]);
});

test('every code exits 1, 2 or 3, and only findings exit 1', () => {
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    const exit = defaultExitCode(code);
    assert.ok([1, 2, 3].includes(exit), code);
    assert.equal(exit === 1, code === 'E_FINDINGS', code);
  }
});

test('docs/errors.md lists exactly the codes there are, each with its exit status', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  const rows = new Map([...doc.matchAll(/^\| `(E_[A-Z_]+)` \| (\d) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
  assert.deepEqual([...rows.keys()].sort(), Object.keys(ERROR_CODES).sort());
  for (const [code, exit] of rows) assert.equal(exit, defaultExitCode(code as ErrorCode), code);
  for (const m of doc.matchAll(/\bE_[A-Z_]+\b/g)) assert.ok(m[0] in ERROR_CODES, `docs name an unknown code ${m[0]}`);
});

test('oneLine: `distill: <input>: <message>` on one line, control characters and bidi overrides escaped', () => {
  const e = new DistillError('layer sha256:ab', 'tar entry "a\x1b[2Jb"\n  has a \u202eevil name\r');
  assert.equal(e.oneLine(), 'distill: layer sha256:ab: tar entry "a\\x1b[2Jb" has a \\u202eevil name\\x0d');
  assert.equal(new DistillError('tag\x07', 'm').oneLine(), 'distill: tag\\x07: m');
  assert.equal(new DistillError('café', 'ünïcode stays').oneLine(), 'distill: café: ünïcode stays');
});

test('toJSON is {"error":{"code","input","message"}} with the message on one line', () => {
  const e = new DistillError('oci:/x', 'first\n  second', { code: 'E_NOT_FOUND' });
  assert.deepEqual(JSON.parse(JSON.stringify(e)), { error: { code: 'E_NOT_FOUND', input: 'oci:/x', message: 'first second' } });
});

test('rewrap names another input and keeps the code and exit status', () => {
  const inner = new DistillError('layer sha256:ab', 'digest mismatch', { code: 'E_DIGEST_MISMATCH' });
  const outer = inner.rewrap('oci:/src', `${inner.input}: ${inner.message}`);
  assert.deepEqual([outer.input, outer.message, outer.code, outer.exitCode], ['oci:/src', 'layer sha256:ab: digest mismatch', 'E_DIGEST_MISMATCH', 2]);
  assert.equal(new DistillError('a', 'b', { code: 'E_REFUSED' }).rewrap('c', 'd').exitCode, 3);
});

test('isDistillError: any DistillError, or only those with one of the given codes', () => {
  const e = new DistillError('x', 'm', { code: 'E_NO_DB' });
  assert.equal(isDistillError(e), true);
  assert.equal(isDistillError(e, 'E_NO_DB'), true);
  assert.equal(isDistillError(e, 'E_NETWORK', 'E_NO_DB'), true);
  assert.equal(isDistillError(e, 'E_NETWORK'), false);
  assert.equal(isDistillError(new Error('no OSV database'), 'E_NO_DB'), false);
  assert.equal(isDistillError(undefined), false);
});

/** A Node system error as fs throws it. */
function sysError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, open '${path}'`), { code, path });
}

test('asDistillError and codeOf: a missing file is E_NOT_FOUND, other failures E_INPUT, DistillErrors as they are', () => {
  const missing = asDistillError(sysError('ENOENT', '/x'), 'oci:/x');
  assert.deepEqual([missing.input, missing.code, missing.exitCode], ['oci:/x', 'E_NOT_FOUND', 2]);
  assert.equal(asDistillError(sysError('EACCES', '/x'), 'oci:/x').code, 'E_INPUT');
  assert.equal(asDistillError(new Error('incorrect header check'), 'layer').code, 'E_INPUT');
  const own = new DistillError('a', 'b', { code: 'E_AUTH' });
  assert.equal(asDistillError(own, 'other'), own);
  assert.equal(codeOf(own), 'E_AUTH');
  assert.equal(codeOf(new Error('x'), 'E_NETWORK'), 'E_NETWORK');
});

test('toReportable: a bug is E_INTERNAL and says so; a system error is the user\'s, naming its path', () => {
  const bug = toReportable(new TypeError("Cannot read properties of undefined (reading 'x')"), 'distill inspect');
  assert.equal(bug.code, 'E_INTERNAL');
  assert.equal(bug.exitCode, 2);
  assert.equal(bug.input, 'distill inspect');
  assert.match(bug.message, /^internal error: Cannot read properties .*a bug in distill; DISTILL_DEBUG=1/);
  const gone = toReportable(sysError('ENOENT', '/etc/nope'));
  assert.deepEqual([gone.input, gone.code], ['/etc/nope', 'E_NOT_FOUND']);
  const own = new DistillError('a', 'b', { code: 'E_USAGE' });
  assert.equal(toReportable(own), own);
});
