/**
 * harden proves what the user ships: the app's own Dockerfile built by podman is the before
 * image (kind built, the id podman reports), `--before podman:NAME` is taken as given, and a
 * Dockerfile whose base cannot be pulled falls back to the simulated image, labelled so, with
 * the reason — which `--require-real` refuses. The output goes under `Out Dir/MyApp`: upper
 * case and a space, which podman refuses in the image names it derives from paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';
import { podman, podmanEnv } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { ensureBuilder } from '../helpers/builders.ts';

const FAT = 'localhost/fat-node:test';

/** The example's dependency-free server and lockfile, with the Dockerfile a team writes on its own base. */
function app(from: string): string {
  const dir = tempDir('distill-e2e-harden-real-');
  for (const f of ['package.json', 'package-lock.json', 'server.js']) copyFileSync(join('examples', 'node-express', f), join(dir, f));
  writeFileSync(
    join(dir, 'Dockerfile'),
    [`FROM ${from}`, 'WORKDIR /app', 'COPY package.json package-lock.json ./', 'RUN npm ci', 'COPY . .', 'ENV PORT=8080', 'EXPOSE 8080', 'HEALTHCHECK CMD curl -fsS http://localhost:8080/health || exit 1', 'CMD ["node", "server.js"]', ''].join('\n'),
  );
  return dir;
}

const failedChecks = (v: { checks: Array<{ id: string; status: string }> }) => v.checks.filter((c) => c.status === 'fail').map((c) => c.id).sort();

test('harden builds the app\'s Dockerfile with podman for the before image; output under "Out Dir/MyApp"; --before podman:NAME is taken as given', async () => {
  const builder = await ensureBuilder('node');
  assert.equal((await podman(['tag', builder, FAT])).code, 0);
  const dir = app(FAT);
  const out = join(tempDir('distill-e2e-harden-real-out-'), 'Out Dir', 'MyApp');
  const r = await runDistill(['harden', dir, '-o', out, '--json'], { env: podmanEnv() });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const before = j.provenance.traditional;
  assert.equal(before.kind, 'built', JSON.stringify(before));
  assert.equal(before.engine, 'podman');
  const name = before.reference.replace(/^podman:/, '');
  const inspected = await podman(['image', 'inspect', '--format', '{{.Id}}', name]);
  assert.equal(before.imageId, `sha256:${inspected.stdout.trim().replace(/^sha256:/, '')}`);
  assert.equal(before.dockerfileDigest, `sha256:${createHash('sha256').update(readFileSync(join(dir, 'Dockerfile'))).digest('hex')}`);
  assert.match(readFileSync(before.log, 'utf8'), /RUN npm ci/);
  assert.ok(before.log.startsWith(out), 'the build log is under the output directory');
  // The after image is Dockerfile.distroless built by podman on harden's base, and it is distill build's image.
  const after = j.provenance.distroless;
  assert.equal(after.kind, 'built', JSON.stringify(after));
  assert.deepEqual(j.after, { differences: [] });
  assert.equal(after.dockerfileDigest, `sha256:${createHash('sha256').update(readFileSync(join(out, 'Dockerfile.distroless'))).digest('hex')}`);
  assert.match(readFileSync(join(out, 'Dockerfile.distroless'), 'utf8'), /^FROM gcr\.io\/distroless\/nodejs\d+-debian\d+:nonroot$/m);
  assert.match(readFileSync(join(out, 'Dockerfile.distroless.local'), 'utf8'), /^FROM localhost\/distill-harden\/base-nodejs:nonroot$/m);
  assert.equal(j.images.distroless, after.reference);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).provenance, j.provenance);

  // Both were run for real.
  assert.equal(j.verify.distroless.passed, true, JSON.stringify(j.verify.distroless.checks));
  assert.deepEqual(failedChecks(j.verify.traditional), ['no-shell', 'non-root']);
  const [fat, slim] = j.comparison;
  assert.deepEqual([fat.shell, fat.runsAsRoot, slim.shell, slim.runsAsRoot], [true, true, false, false]);

  // The same image handed over as given; a missing one is one line, exit 2.
  // --no-build: distill build's image is the after one, from a layout under "Out Dir/MyApp", run for real.
  const given = await runDistill(['harden', dir, '-o', out, '--before', before.reference, '--no-build'], { env: podmanEnv() });
  assert.equal(given.code, 0, given.stderr);
  assert.match(given.stdout, new RegExp(`note: the traditional image is ${before.reference.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, as given`));
  assert.doesNotMatch(given.stdout, /simulated/);
  const g = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(g.provenance.traditional.kind, 'given');
  assert.equal(g.provenance.distroless.kind, 'distill');
  assert.ok(g.images.distroless.startsWith(`oci:${out}/images`), g.images.distroless);
  assert.equal(g.verify.distroless.passed, true, JSON.stringify(g.verify.distroless.checks));
  const missing = await runDistill(['harden', dir, '-o', out, '--before', 'podman:localhost/distill-no-such-image:1'], { env: podmanEnv() });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^distill: --before podman:localhost\/distill-no-such-image:1: cannot read the image: .+\n$/);
  await podman(['rmi', name, after.reference.replace(/^podman:/, ''), FAT]);
});

test('a Dockerfile whose base cannot be pulled: the simulated image, labelled so with the reason; --require-real exits 2', async () => {
  // A loopback port nothing listens on: the pull fails at once, and no test reaches a real host.
  const dir = app('127.0.0.1:9/team/node:22');
  const out = join(tempDir('distill-e2e-harden-sim-'), 'Out Dir');
  const refused = await runDistill(['harden', dir, '-o', out, '--require-real'], { env: podmanEnv() });
  assert.equal(refused.code, 2, refused.stderr);
  const line = refused.stderr.split('\n').filter((l) => l.startsWith('distill: '));
  assert.equal(line.length, 1, refused.stderr);
  assert.match(line[0]!, /^distill: --require-real: the before image would be simulated: podman build failed: .*127\.0\.0\.1:9.* \(log: .*before-build\.log\)$/);

  const r = await runDistill(['harden', dir, '-o', out, '--no-verify'], { env: podmanEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /traditional \(simulated\)/);
  assert.match(r.stdout, /^note: the traditional image is simulated \(assembled from Debian packages\): podman build failed: /m);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(s.provenance.traditional.kind, 'simulated');
  assert.match(s.provenance.traditional.reason, /127\.0\.0\.1:9/);
  assert.ok(existsSync(s.provenance.traditional.log));
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<th>traditional \(simulated\)<\/th>/);
});

test('a before image that cannot start is "does not start: <its error>", --also adds a column, and a distill build that disagrees with Dockerfile.distroless fails harden naming the field', async () => {
  const builder = await ensureBuilder('node');
  assert.equal((await podman(['tag', builder, FAT])).code, 0);
  const dir = app(FAT);
  writeFileSync(join(dir, 'Dockerfile.broken'), readFileSync(join(dir, 'Dockerfile'), 'utf8').replace('CMD ["node", "server.js"]', 'CMD ["node", "missing.js"]'));
  const broken = 'localhost/distill-e2e/harden-broken:test';
  const good = 'localhost/distill-e2e/harden-good:test';
  for (const [tag, file] of [[broken, 'Dockerfile.broken'], [good, 'Dockerfile']] as const) {
    const b = await podman(['build', '--pull=never', '-q', '-t', tag, '-f', join(dir, file), dir], { timeoutMs: 300_000 });
    assert.equal(b.code, 0, b.stderr);
  }
  const out = join(tempDir('distill-e2e-harden-also-'), 'out');
  // --cmd reaches distill build only: the image Dockerfile.distroless gives keeps the Dockerfile's CMD.
  const r = await runDistill(['harden', dir, '-o', out, '--before', `podman:${broken}`, '--also', `standard=podman:${good}`, '--cmd', '["server.js", "--injected"]'], { env: podmanEnv() });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^differs: Cmd: Dockerfile\.distroless \["server\.js"\]; distill build \["server\.js","--injected"\]$/m);
  assert.match(r.stdout, /does not start: Error: Cannot find module '\/app\/missing\.js'/);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(s.comparison.map((c: { label: string }) => c.label), ['traditional', 'distroless', 'standard']);
  assert.equal(s.images.standard, `podman:${good}`);
  assert.equal(s.provenance.standard.kind, 'given');
  const start = s.verify.traditional.checks;
  assert.equal(start.length, 1, 'no hardening check is blamed for an image that does not start plainly');
  assert.equal(start[0].id, 'start');
  assert.match(start[0].reason, /^does not start: Error: Cannot find module '\/app\/missing\.js'.*\(exit 1\)$/);
  // The good image starts, and its port check sees the app listening where it EXPOSEs.
  const ports = s.verify.standard.checks.find((c: { id: string }) => c.id === 'ports');
  assert.equal(ports?.status, 'pass', JSON.stringify(s.verify.standard.checks));
  assert.deepEqual(s.verify.standard.listening, [8080]);
  await podman(['rmi', broken, good, FAT]);
});

test('a Dockerfile whose final stage is a small Debian image plus a copied binary: the before image is that small image, not the toolchain', async () => {
  const go = await ensureBuilder('go');
  const small = 'localhost/distill-e2e/harden-small-debian';
  const layout = join(tempDir('distill-e2e-harden-small-'), 'base');
  const b = await runDistill(['base', 'cc', '-o', layout, '--tags', 'nonroot', '--load', small, '-q'], { env: podmanEnv() });
  assert.equal(b.code, 0, b.stderr);
  const dir = tempDir('distill-e2e-harden-go-');
  for (const f of ['go.mod', 'main.go']) copyFileSync(join('examples', 'go-http', f), join(dir, f));
  writeFileSync(
    join(dir, 'Dockerfile'),
    [`FROM ${go} AS build`, 'WORKDIR /src', 'COPY go.mod ./', 'COPY *.go ./', 'RUN CGO_ENABLED=0 go build -o /out/server .', '', `FROM ${small}:nonroot`, 'COPY --from=build /out/server /usr/local/bin/server', 'ENV PORT=8080', 'EXPOSE 8080', 'CMD ["/usr/local/bin/server"]', ''].join('\n'),
  );
  const out = join(tempDir('distill-e2e-harden-go-out-'), 'out');
  const r = await runDistill(['harden', dir, '-o', out, '--json'], { env: podmanEnv() });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.provenance.traditional.kind, 'built', JSON.stringify(j.provenance.traditional));
  const [before, after] = j.comparison;
  // The toolchain stage (Go and gcc, hundreds of MB) is not in what the Dockerfile ships.
  assert.ok(before.uncompressed < 80 * 2 ** 20, `before image ${before.uncompressed} bytes`);
  assert.ok(before.packages < 40, `before image lists ${before.packages} packages: the cc base's, not golang-go and gcc`);
  assert.ok(after.uncompressed < before.uncompressed, 'the static distroless image is smaller still');
  assert.equal(before.shell, false, 'the cc base has no shell, and the before image is built on it');
  assert.equal(j.verify.traditional.checks.find((c: { id: string }) => c.id === 'start'), undefined, 'the before image starts');
  assert.equal(j.verify.distroless.passed, true, JSON.stringify(j.verify.distroless.checks));
  await podman(['rmi', j.provenance.traditional.reference.replace(/^podman:/, ''), j.provenance.distroless.reference.replace(/^podman:/, ''), `${small}:nonroot`]);
});
