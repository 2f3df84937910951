/**
 * Acceptance for `distill convert` on the examples: the converted Dockerfile builds with
 * `podman build` against runtime bases from `distill base` loaded under the names the converter
 * emits (`--base-prefix localhost/distill-e2e` -> `localhost/distill-e2e/<flavour>:nonroot`), and
 * the container answers HTTP while running read-only as 65532 with all capabilities dropped.
 *
 * This machine cannot pull `node:22`, `python:3.13` or `golang:1.22`, so the builder stages use
 * local toolchain images built from Debian packages (and Node's own tarball from the npm registry)
 * by test/helpers/builders.ts, named for what they hold; `--builder-image` points the converted
 * Dockerfile at them, the way an air-gapped user would point it at a mirror. Versions: the python3
 * runtime base is Debian 12's Python 3.11, so the Python builder is Debian's 3.11 too (the example
 * would otherwise build on 3.13 and run on 3.11); Go is Debian's 1.19 — go.mod says `go 1.22`, and
 * Go before 1.21 treats that as advisory and builds, which works because main.go uses nothing newer
 * than 1.18 (`any`); the binary is compiled, so the runtime base is version-free.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { freeLoopbackPort } from '../../src/util/net.ts';
import { join } from 'node:path';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { podman, podmanEnv } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { BUILDERS, ensureBuilder, type BuilderKind } from '../helpers/builders.ts';

const PREFIX = 'localhost/distill-e2e';
const work = tempDir('distill-e2e-convert-');
const locks = join(ROOT, 'test-output', 'convert-e2e-locks');
const containers: string[] = [];
const images: string[] = [];

const EXAMPLES: { name: string; builder: BuilderKind; from: string; flavour: string }[] = [
  { name: 'node-express', builder: 'node', from: 'node:22', flavour: 'nodejs' },
  { name: 'python-http', builder: 'python', from: 'python:3.13', flavour: 'python3' },
  { name: 'go-http', builder: 'go', from: 'golang:1.22', flavour: 'base' },
];

before(async () => {
  mkdirSync(locks, { recursive: true });
  for (const ex of EXAMPLES) {
    const r = await runDistill(['base', ex.flavour, ...(ex.flavour === 'nodejs' ? ['--node', '22'] : []), '-o', join(work, 'bases', ex.flavour), '--lock', join(locks, `${ex.flavour}.lock.json`), '--tags', 'nonroot', '--load', `${PREFIX}/${ex.flavour}`, '-q'], { env: podmanEnv() });
    assert.equal(r.code, 0, `distill base ${ex.flavour}: ${r.stderr}`);
    images.push(`${PREFIX}/${ex.flavour}:nonroot`);
    // Builder images are shared with other test files running at the same time: kept, never removed here.
    await ensureBuilder(ex.builder);
  }
});

after(async () => {
  for (const c of containers) await podman(['rm', '-f', '-t', '0', c]);
  for (const i of images) await podman(['rmi', '-f', i]);
  rmSync(work, { recursive: true, force: true });
});


async function getJson(url: string, deadline: number): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`no answer from ${url}: ${String(last)}`);
}

for (const ex of EXAMPLES) {
  test(`examples/${ex.name}: converted Dockerfile builds with podman on distill bases and runs read-only as 65532`, async () => {
    const ctx = join(work, 'ctx', ex.name);
    cpSync(join(ROOT, 'examples', ex.name), ctx, { recursive: true });
    const out = join(ctx, 'Dockerfile.distroless');
    const builder = BUILDERS[ex.builder].ref;
    const c = await runDistill(['convert', join(ctx, 'Dockerfile'), '--base-prefix', PREFIX, '--builder-image', `${ex.from}=${builder}`, '-o', out, '-q']);
    assert.equal(c.code, 0, c.stderr);
    const text = readFileSync(out, 'utf8');
    const froms = text.split('\n').filter((l) => /^FROM /.test(l));
    assert.deepEqual(froms, [`FROM ${builder} AS build`, `FROM ${PREFIX}/${ex.flavour}:nonroot`]);

    const tag = `${PREFIX}-${ex.name}:test`;
    const b = await podman(['build', '--pull=never', '--network', 'none', '-q', '-t', tag, '-f', out, ctx], { timeoutMs: 180_000 });
    assert.equal(b.code, 0, `podman build:\n${b.stdout}\n${b.stderr}`);
    images.push(tag);

    const port = await freeLoopbackPort();
    const run = await podman(['run', '-d', '--read-only', '--user', '65532', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-p', `127.0.0.1:${port}:8080`, tag]);
    assert.equal(run.code, 0, run.stderr);
    const cid = run.stdout.trim();
    containers.push(cid);

    const deadline = Date.now() + 60_000;
    const root = await getJson(`http://127.0.0.1:${port}/`, deadline);
    assert.equal(root.status, 200);
    assert.match(root.type, /application\/json/);
    assert.equal(root.body.service, ex.name);
    const health = await getJson(`http://127.0.0.1:${port}/health`, deadline);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    assert.equal(health.body.uid, 65532);

    // The image itself says 65532 (USER from the converted file), and the process really runs as it.
    const user = await podman(['image', 'inspect', '--format', '{{.Config.User}}', tag]);
    assert.equal(user.stdout.trim(), '65532:65532');
    const pid = (await podman(['inspect', '--format', '{{.State.Pid}}', cid])).stdout.trim();
    const uids = /^Uid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!.split(/\s+/);
    assert.deepEqual(uids, ['65532', '65532', '65532', '65532']);
    const ro = await podman(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', cid]);
    assert.equal(ro.stdout.trim(), 'true');
    const sh = await podman(['exec', cid, '/bin/sh', '-c', 'echo reached']);
    assert.notEqual(sh.code, 0, 'a shell ran inside the container');
  });
}
