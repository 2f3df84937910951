/**
 * Where harden's before image comes from, without an engine: the one-line reason a failed
 * engine build gives, the engine-store name, the "(simulated)" label, and the refusals that
 * happen before any work (a missing --before image, --require-real with nothing real to build).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildErrorLine, givenBefore } from '../../src/harden/before.ts';
import { beforeTag, displayLabel, harden } from '../../src/harden/index.ts';
import { DistillError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/images.ts';

test('a failed build is reported by its first error line, else its last line', () => {
  const log = [
    'STEP 1/4: FROM 127.0.0.1:9/team/node:22',
    'Trying to pull 127.0.0.1:9/team/node:22...',
    'Error: creating build container: initializing source docker://127.0.0.1:9/team/node:22: pinging container registry 127.0.0.1:9: connect: connection refused',
    'Error: another one',
  ].join('\n');
  assert.equal(buildErrorLine(log), 'creating build container: initializing source docker://127.0.0.1:9/team/node:22: pinging container registry 127.0.0.1:9: connect: connection refused');
  assert.equal(buildErrorLine('STEP 2/3: RUN npm ci\nnpm ERR! missing: left-pad@1.3.0\n\n'), 'npm ERR! missing: left-pad@1.3.0');
});

test('the built before image gets a lowercase engine-store name whatever the app directory is called', () => {
  assert.equal(beforeTag('MyApp'), 'localhost/distill-harden/myapp:before');
  assert.equal(beforeTag('My App (v2)'), 'localhost/distill-harden/my-app--v2-:before');
  assert.equal(beforeTag('.hidden'), 'localhost/distill-harden/hidden:before');
});

test('only a simulated image is labelled so', () => {
  const p = (kind: 'given' | 'built' | 'simulated') => ({ traditional: { kind }, distroless: { kind: 'distill' as const } });
  assert.equal(displayLabel('traditional', p('simulated')), 'traditional (simulated)');
  assert.equal(displayLabel('traditional', p('built')), 'traditional');
  assert.equal(displayLabel('traditional', p('given')), 'traditional');
  assert.equal(displayLabel('distroless', p('simulated')), 'distroless');
});

test('a --before image that does not exist is an input error naming it, exit 2', async () => {
  const missing = `oci:${join(tempDir('distill-before-'), 'nope')}:v1`;
  await assert.rejects(givenBefore(missing), (e: unknown) => e instanceof DistillError && e.exitCode === 2 && e.input === `--before ${missing}`);
});

test('--require-real with the engine build off is refused before anything is built', async () => {
  const out = tempDir('distill-require-real-');
  await assert.rejects(
    harden({ appDir: 'examples/node-express', out, verify: false, engineBuild: false, requireReal: true }),
    (e: unknown) => e instanceof DistillError && e.exitCode === 2 && /would be simulated/.test(e.message) && /--before/.test(e.message),
  );
});
