/**
 * Acceptance for `distill build`: distroless bases from `distill base` (built once per run from
 * lockfiles kept under test-output/), then every example app (Node, Python, Go, Java, Rust) built
 * with `distill build`, run by podman read-only as uid 65532 with all capabilities dropped and a
 * loopback-published port, answering HTTP on / and /health, with no shell to exec into.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { freeLoopbackPort } from '../../src/util/net.ts';
import { join } from 'node:path';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { podman } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { getJson } from '../helpers/http.ts';

const work = tempDir('distill-e2e-build-');
const bases = join(work, 'bases');
const locks = join(ROOT, 'test-output', 'build-e2e-locks');
const containers: string[] = [];
const images: string[] = [];

before(async () => {
  mkdirSync(locks, { recursive: true });
  for (const flavour of ['nodejs', 'python3', 'static', 'base', 'cc', 'java']) {
    const r = await runDistill(['base', flavour, '-o', join(bases, flavour), '--lock', join(locks, `${flavour}.lock.json`), '--tags', 'nonroot', '-q']);
    assert.equal(r.code, 0, `distill base ${flavour}: ${r.stderr}`);
  }
});

after(async () => {
  for (const c of containers) await podman(['rm', '-f', '-t', '0', c]);
  for (const i of images) await podman(['rmi', '-f', i]);
  rmSync(work, { recursive: true, force: true });
});


const EXAMPLES: { name: string; runtime: string; service: string; layers: string[] }[] = [
  { name: 'node-express', runtime: 'node', service: 'node-express', layers: ['app'] },
  { name: 'python-http', runtime: 'python', service: 'python-http', layers: ['app'] },
  { name: 'go-http', runtime: 'go', service: 'go-http', layers: ['app'] },
  { name: 'java-http', runtime: 'java', service: 'java-http', layers: ['app'] },
  { name: 'rust-http', runtime: 'rust', service: 'rust-http', layers: ['app'] },
];

for (const ex of EXAMPLES) {
  test(`examples/${ex.name}: distill build, then runs read-only as 65532 without a shell and answers HTTP`, async () => {
    const layout = join(work, 'out', ex.name);
    const b = await runDistill(['build', join(ROOT, 'examples', ex.name), '--base-dir', bases, '-o', `oci:${layout}:test`, '--json'], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.equal(b.code, 0, b.stderr);
    const out = JSON.parse(b.stdout);
    assert.equal(out.runtime, ex.runtime);
    assert.deepEqual(out.layers.map((l: { name: string }) => l.name), ex.layers);
    assert.equal(out.config.user, '65532:65532');
    // Nothing the base lacks: the example's closure is the flavour's, so no package would be added.
    assert.deepEqual(out.warnings.filter((w: string) => /lacks|no Debian package/.test(w)), []);

    const pulled = await podman(['pull', '-q', `oci:${layout}:test`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const id = pulled.stdout.trim().split('\n').pop()!;
    images.push(id);
    const port = await freeLoopbackPort();
    const run = await podman(['run', '-d', '--read-only', '--user', '65532', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-p', `127.0.0.1:${port}:8080`, id]);
    assert.equal(run.code, 0, run.stderr);
    const cid = run.stdout.trim();
    containers.push(cid);

    const deadline = Date.now() + 60_000;
    const root = await getJson(`http://127.0.0.1:${port}/`, deadline);
    assert.equal(root.status, 200);
    assert.equal(root.body.service, ex.service);
    const health = await getJson(`http://127.0.0.1:${port}/health`, deadline);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    if ('uid' in health.body) assert.equal(health.body.uid, 65532);

    const sh = await podman(['exec', cid, 'sh', '-c', 'echo reached']);
    assert.notEqual(sh.code, 0, 'a shell ran inside the container');
    assert.doesNotMatch(sh.stdout, /reached/);
    const inspect = await podman(['inspect', '--format', '{{.Config.User}}', cid]);
    assert.equal(inspect.stdout.trim(), '65532');
  });
}
