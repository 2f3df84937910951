/**
 * "does not start": when an image cannot run even without the hardening flags, harden quotes the
 * app's own error line — not a stack frame or the runtime's version trailer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startError } from '../../src/runtime/verify.ts';

test('Node: the Error line, not "Node.js v22…" after the stack', () => {
  const log = [
    'node:internal/modules/cjs/loader:1228',
    '  throw err;',
    '  ^',
    '',
    "Error: Cannot find module '/app/hello.js'",
    '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
    '    at node:internal/main/run_main_module:28:49 {',
    "  code: 'MODULE_NOT_FOUND',",
    '}',
    '',
    'Node.js v22.11.0',
    '',
  ].join('\n');
  assert.equal(startError(log), "Error: Cannot find module '/app/hello.js'");
});

test('Python: the exception line at the end of the traceback; Go: the panic line', () => {
  assert.equal(startError('Traceback (most recent call last):\n  File "/app/app.py", line 1, in <module>\n    import redis\nModuleNotFoundError: No module named \'redis\'\n'), "ModuleNotFoundError: No module named 'redis'");
  assert.equal(startError('panic: dial tcp: lookup redis on 10.0.0.1:53: no such host\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:12 +0x1d\nexit status 2\n'), 'panic: dial tcp: lookup redis on 10.0.0.1:53: no such host');
});

test('without an error-looking line, the last non-empty line, trimmed', () => {
  assert.equal(startError('listening…\n  shutting down: missing DATABASE_URL  \n\n'), 'shutting down: missing DATABASE_URL');
  assert.equal(startError(''), 'no output');
});
