/** Verify's inputs: the test file schema and probe URLs (the runs themselves are in test/e2e/verify.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeTarget, readTestFile } from '../../src/runtime/verify.ts';
import { DistillError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/images.ts';

const dir = tempDir('distill-verify-unit-');
function file(text: string): string {
  const p = join(dir, `t${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, text);
  return p;
}

test('test file: the three kinds parse; each entry needs exactly one kind', () => {
  const t = readTestFile(file('tests:\n  - name: a\n    fileExists: /x\n    mode: "0755"\n  - name: b\n    fileAbsent: /bin/sh\n  - name: c\n    command: [/app, -v]\n    expectedOutput: ["^v1"]\n    exitCode: 0\n'));
  assert.deepEqual(t.map((x) => x.name), ['a', 'b', 'c']);
  const bad: [string, RegExp][] = [
    ['tests:\n  - name: a\n    fileExists: /x\n    command: [x]\n', /exactly one of/],
    ['tests:\n  - name: a\n', /exactly one of/],
    ['tests:\n  - name: a\n    fileExists: /x\n    mode: rwx\n', /tests\.0\.mode/],
    ['tests:\n  - name: a\n    fileExist: /x\n', /fileExist/],
    ['tests:\n  - name: a\n    fileAbsent: /x\n  - name: a\n    fileAbsent: /y\n', /duplicate test name a/],
    ['tests:\n  - name: a\n    command: [x]\n    expectedOutput: ["("]\n', /bad regular expression/],
    ['tests: []\n', /tests/],
    ['tests: [\n', /.+/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => readTestFile(file(text)), (e: unknown) => e instanceof DistillError && re.test(e.message), text);
  }
  assert.throws(() => readTestFile(join(dir, 'none.yaml')), /no such file/);
});

test('probe URLs must be http(s) on loopback; the port defaults by scheme', () => {
  assert.equal(probeTarget('http://127.0.0.1:8080/healthz').port, 8080);
  assert.equal(probeTarget('http://localhost/').port, 80);
  assert.equal(probeTarget('https://127.0.0.1/').port, 443);
  assert.throws(() => probeTarget('http://10.0.0.1:80/'), /127\.0\.0\.1 or localhost/);
  assert.throws(() => probeTarget('ftp://127.0.0.1/'), /http/);
  assert.throws(() => probeTarget('nope'), /not a URL/);
});
