import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wantsJson } from '../../src/cli/output.ts';

test('wantsJson: --json, --format json and --format=json ask for JSON errors; operands after -- do not', () => {
  assert.equal(wantsJson(['inspect', '--json', 'oci:x']), true);
  assert.equal(wantsJson(['scan', '--format', 'json', 'oci:x']), true);
  assert.equal(wantsJson(['scan', '--format=json', 'oci:x']), true);
  assert.equal(wantsJson(['scan', '--format', 'sarif', 'oci:x']), false);
  assert.equal(wantsJson(['inspect', 'oci:x']), false);
  assert.equal(wantsJson(['verify', 'img', '--', '--json']), false);
  assert.equal(wantsJson(['lint', 'json']), false);
});
