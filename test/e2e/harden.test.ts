/**
 * The README's main job: `distill harden` on the bundled examples/node-express. The distroless
 * image must be at least 60% smaller than the traditional one, with no shell, no package manager
 * and user 65532; both are run for real and the traditional one fails for the right reasons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';
import { podmanEnv } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';

test('distill harden on examples/node-express: table, report, >= 60% smaller, hardened and verified', async () => {
  const out = tempDir('distill-e2e-harden-');
  // --no-build: what a fresh machine gets, whose podman cannot pull the example's node:22 (here
  // other tests' local builder images could stand in for it); the real before image is
  // harden-real.test.ts's subject.
  const r = await runDistill(['harden', '-o', out, '--json', '--no-build'], { env: podmanEnv() });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.provenance.traditional.kind, 'simulated');
  const [fat, slim] = j.comparison;
  assert.equal(fat.label, 'traditional');
  assert.equal(slim.label, 'distroless');
  assert.ok(slim.compressed <= fat.compressed * 0.4, `distroless ${slim.compressed} vs traditional ${fat.compressed} compressed`);
  assert.ok(slim.uncompressed <= fat.uncompressed * 0.4, `distroless ${slim.uncompressed} vs traditional ${fat.uncompressed} uncompressed`);
  assert.equal(slim.shell, false);
  assert.equal(slim.packageManager, false);
  assert.equal(slim.user, '65532:65532');
  assert.equal(slim.runsAsRoot, false);
  assert.equal(fat.shell, true);
  assert.equal(fat.packageManager, true);
  assert.equal(fat.runsAsRoot, true);

  const { traditional: vf, distroless: vs } = j.verify;
  assert.equal(vs.passed, true, JSON.stringify(vs.checks));
  assert.equal(vf.passed, false);
  const failed = vf.checks.filter((c: { status: string }) => c.status === 'fail').map((c: { id: string }) => c.id).sort();
  assert.deepEqual(failed, ['no-shell', 'non-root']);

  assert.ok(existsSync(j.report));
  assert.match(readFileSync(j.report, 'utf8'), /<canvas id="sizeChart">/);
  const converted = readFileSync(join(out, 'Dockerfile.distroless'), 'utf8');
  assert.match(converted, /^USER 65532:65532$/m);
  assert.ok(j.lint.some((f: { rule: string }) => f.rule), 'the traditional Dockerfile has lint findings');

  // the text form prints the table and where the files are
  const text = await runDistill(['harden', '-o', out, '--no-build'], { env: podmanEnv() });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /size \(compressed\)/);
  assert.match(text.stdout, /traditional \(simulated\)/);
  assert.match(text.stdout, /^note: the traditional image is simulated \(assembled from Debian packages\): the engine build is off \(--no-build\); pass --before REF for the real one$/m);
  assert.match(text.stdout, /^verdict distroless +distroless: no shell, no package manager, non-root \(uid 65532\)$/m);
  assert.match(text.stdout, /^verdict traditional +not distroless: shell \(.*\), package manager \(.*\), runs as root$/m);
  assert.match(text.stdout, new RegExp(`report: +${join(out, 'report.html').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

for (const [app, flavour, toolchain] of [
  // Its requirements.txt lists no package, so pip installs nothing and the app layer is last.
  ['python-http', 'python3', /^COPY \. \/app$/],
  // go-http's build does not set CGO_ENABLED=0, so Dockerfile.distroless runs it on base (glibc), and so does the proof.
  ['go-http', 'base', /RUN go build/],
  ['java-http', 'java', /RUN javac && jar/],
  ['rust-http', 'cc', /RUN cargo build --release/],
] as const) {
  test(`distill harden examples/${app}: the ${flavour} base, >= 60% smaller, hardened and verified`, async () => {
    const out = tempDir(`distill-e2e-harden-${app}-`);
    // --no-build: the example's public FROM would send podman to Docker Hub; tests stay on loopback.
    const r = await runDistill(['harden', join('examples', app), '-o', out, '--json', '--no-build'], { env: podmanEnv() });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const [fat, slim] = j.comparison;
    assert.ok(slim.compressed <= fat.compressed * 0.4, `distroless ${slim.compressed} vs traditional ${fat.compressed}`);
    assert.deepEqual([slim.shell, slim.packageManager, slim.runsAsRoot, slim.user], [false, false, false, '65532:65532']);
    assert.deepEqual([fat.shell, fat.packageManager, fat.runsAsRoot], [true, true, true]);
    const { traditional: vf, distroless: vs } = j.verify;
    assert.equal(vs.passed, true, JSON.stringify(vs.checks));
    assert.deepEqual(vf.checks.filter((c: { status: string }) => c.status === 'fail').map((c: { id: string }) => c.id).sort(), ['no-shell', 'non-root']);
    assert.ok(existsSync(join(out, 'bases', flavour)), `the ${flavour} base was built`);
    // The traditional image is the single-stage Dockerfile's picture: its last layer did the toolchain step.
    const inspect = await runDistill(['inspect', j.images.traditional, '--json']);
    const layers = JSON.parse(inspect.stdout).layers as Array<{ createdBy: string }>;
    assert.match(layers[layers.length - 1]!.createdBy, toolchain);
  });
}

test('distill harden on an app whose only entry is the Dockerfile\'s CMD ["node","src/index.js"] (no main, no start script): built, verified, same command in both', async () => {
  const app = tempDir('distill-e2e-harden-cmd-only-');
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'queue-dashboard', version: '0.3.0', private: true, scripts: { test: 'node --test' } }, null, 2) + '\n');
  // The example's server, moved to where this app keeps its entry.
  writeFileSync(join(app, 'src', 'index.js'), readFileSync(join('examples', 'node-express', 'server.js'), 'utf8'));
  writeFileSync(
    join(app, 'Dockerfile'),
    ['FROM node:22-bookworm AS base', 'WORKDIR /usr/src/app', 'COPY package.json ./', '', 'FROM base AS dev', 'CMD ["node", "--watch", "src/index.js"]', '', 'FROM base AS prod', 'ENV NODE_ENV=production PORT=8080', 'COPY src ./src', 'EXPOSE 8080', 'HEALTHCHECK CMD curl -fsS http://localhost:8080/health || exit 1', 'CMD ["node", "src/index.js"]', ''].join('\n'),
  );
  const out = tempDir('distill-e2e-harden-cmd-only-out-');
  const r = await runDistill(['harden', app, '-o', out, '--json', '--no-build'], { env: podmanEnv() });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.verify.distroless.passed, true, JSON.stringify(j.verify.distroless.checks));
  assert.ok(j.verify.distroless.checks.some((c: { id: string; status: string }) => c.id === 'probe' && c.status === 'pass'), 'the HEALTHCHECK URL answered');
  const converted = readFileSync(join(out, 'Dockerfile.distroless'), 'utf8');
  assert.match(converted, /^CMD \["src\/index\.js"\]$/m);
  assert.match(converted, /^WORKDIR \/usr\/src\/app$/m);
  const inspect = JSON.parse((await runDistill(['inspect', j.images.distroless, '--json'])).stdout);
  assert.deepEqual(inspect.config.cmd, ['src/index.js']);
});
