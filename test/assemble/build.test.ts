/**
 * `buildApp` on fake bases (written by the test): runtime detection, layer contents (owner, modes,
 * mtime, what is left out), dependency layer unchanged by a code change, reproducible digests,
 * run config fitted to the base's entrypoint, OCI annotations, and the errors users meet.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tarStream from 'tar-stream';
import { buildApp, detectRuntime, readElf, type BuildOptions } from '../../src/assemble/index.ts';
import { convertDockerfile } from '../../src/dockerfile/convert/index.ts';
import { writeLayout } from '../../src/oci/transports/layout.ts';
import type { Layer } from '../../src/oci/image.ts';
import { DistillError } from '../../src/util/errors.ts';
import { makeImage, tempDir } from '../helpers/images.ts';
import { runDistill } from '../helpers/cli.ts';
import { startRegistry } from '../helpers/registry.ts';
import { freeLoopbackPort } from '../../src/util/net.ts';

const work = tempDir('distill-build-test-');
const bases = join(work, 'bases');
const SDE = { SOURCE_DATE_EPOCH: '1700000000' };

before(async () => {
  // Fake bases: only the config matters to the builder (entrypoints as distill base writes them).
  const fake = [{ name: 'etc/', type: 'directory' as const }, { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/sbin/nologin\n' }];
  await writeLayout(await makeImage([fake], { entrypoint: ['/nodejs/bin/node'], user: '65532' }), join(bases, 'nodejs'), 'nonroot');
  await writeLayout(await makeImage([fake], { entrypoint: ['/usr/bin/java', '-jar'] }), join(bases, 'java'), 'nonroot');
  await writeLayout(await makeImage([fake], { entrypoint: ['/usr/bin/python3'] }), join(bases, 'python3'), 'nonroot');
  await writeLayout(await makeImage([fake], {}), join(bases, 'static'), 'nonroot');
  await writeLayout(await makeImage([fake], {}), join(bases, 'cc'), 'nonroot');
});

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  body: string;
}

async function entries(layer: Layer): Promise<Entry[]> {
  const ex = tarStream.extract();
  const out: Entry[] = [];
  const done = new Promise<void>((res, rej) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({ name: h.name, type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, mtime: (h.mtime?.getTime() ?? -1) / 1000, body: Buffer.concat(chunks).toString() });
        next();
      });
    });
    ex.on('finish', res);
    ex.on('error', rej);
  });
  (await layer.uncompressed()).pipe(ex);
  await done;
  return out;
}

function nodeApp(name: string, files: Record<string, string> = {}): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'node_modules', 'left-out'), { recursive: true });
  mkdirSync(join(dir, '.git'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'lib/start.js', scripts: { start: 'node server.js' } }));
  writeFileSync(join(dir, 'server.js'), 'require("node:http").createServer((q, s) => s.end("ok")).listen(8080);\n');
  writeFileSync(join(dir, 'node_modules', 'left-out', 'index.js'), '');
  writeFileSync(join(dir, '.git', 'HEAD'), 'x');
  writeFileSync(join(dir, 'secret.env'), 'TOKEN=1');
  writeFileSync(join(dir, '.dockerignore'), '*.env\n');
  writeFileSync(join(dir, 'tool.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'tool.sh'), 0o775);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM node:22\nENV NODE_ENV=production\nEXPOSE 3000\n');
  for (const [f, c] of Object.entries(files)) writeFileSync(join(dir, f), c);
  return dir;
}

async function build(opts: Omit<BuildOptions, 'baseDir'> & { appDir: string }) {
  const r = await buildApp({ baseDir: bases, sourceEnv: SDE, ...opts });
  return r;
}

test('detects runtimes from the files that name them, and --artifact binaries by ELF header', () => {
  const cases: [string, string][] = [
    ['package.json', 'node'],
    ['requirements.txt', 'python'],
    ['pyproject.toml', 'python'],
    ['go.mod', 'go'],
    ['pom.xml', 'java'],
    ['build.gradle', 'java'],
    ['app.jar', 'java'],
    ['Cargo.toml', 'rust'],
    ['web.csproj', 'dotnet'],
  ];
  for (const [file, runtime] of cases) {
    const dir = tempDir('distill-detect-');
    writeFileSync(join(dir, file), '');
    assert.equal(detectRuntime(dir), runtime, file);
  }
  const empty = tempDir('distill-detect-');
  assert.throws(() => detectRuntime(empty), (e: unknown) => e instanceof DistillError && /--runtime/.test(e.message));
  const bin = join(tempDir('distill-detect-'), 'server');
  copyFileSync('/bin/busybox', bin);
  chmodSync(bin, 0o755);
  assert.equal(detectRuntime(join(bin, '..')), 'static');
  assert.deepEqual(readElf('/bin/busybox'), { dynamic: false, arch: 'amd64' });
  assert.equal(readElf(process.execPath)?.dynamic, true);
  assert.equal(readElf(join(empty, '..', 'nope')), undefined);
});

test('node: app layer holds the source as root-owned read-only files, without node_modules, .git or ignored files', async () => {
  const app = nodeApp('node-layer');
  const r = await build({ appDir: app, writable: ['tmp'] });
  try {
    assert.equal(r.runtime, 'node');
    assert.deepEqual(r.layers.map((l) => l.name), ['app']);
    const es = await entries(r.layers[0]!.layer);
    const names = es.map((e) => e.name);
    // With a Dockerfile the layer holds what its `COPY . .` takes: .dockerignore decides (Dockerfile included), never .git.
    assert.deepEqual(names, ['app/', 'app/.dockerignore', 'app/Dockerfile', 'app/package.json', 'app/server.js', 'app/tool.sh', 'app/tmp/']);
    for (const e of es) {
      assert.equal(e.mtime, 1700000000, e.name);
      if (e.name === 'app/tmp/') assert.deepEqual([e.uid, e.gid], [65532, 65532]);
      else assert.deepEqual([e.uid, e.gid], [0, 0], e.name);
    }
    assert.equal(es.find((e) => e.name === 'app/tool.sh')!.mode, 0o755);
    assert.equal(es.find((e) => e.name === 'app/server.js')!.mode, 0o644);
    assert.equal(es.find((e) => e.name === 'app/')!.mode, 0o755);
    const cfg = await r.image.config();
    assert.equal(cfg.config?.User, '65532:65532');
    assert.equal(cfg.config?.WorkingDir, '/app');
    // The base already runs node: only CMD is set, from the start script (not "main").
    assert.deepEqual(cfg.config?.Entrypoint, ['/nodejs/bin/node']);
    assert.deepEqual(cfg.config?.Cmd, ['/app/server.js']);
    assert.deepEqual(Object.keys(cfg.config?.ExposedPorts ?? {}), ['3000/tcp']);
    // The Dockerfile's ENV is carried, as Dockerfile.distroless carries it.
    assert.ok(cfg.config?.Env?.includes('NODE_ENV=production'));
    assert.equal(cfg.created, '2023-11-14T22:13:20Z');
    const m = await r.image.manifest();
    assert.equal(m.annotations?.['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');
    assert.equal(m.layers.length, 2);
  } finally {
    r.cleanup();
  }
});

test('the author\'s non-root USER is kept by number, as Dockerfile.distroless writes it; root becomes 65532', async () => {
  const cases: [string, string, string][] = [
    ['USER node', '1000:1000', 'the node images\' node user'],
    ['RUN groupadd -g 1001 svc && useradd -u 1001 -g svc svc\nUSER svc', '1001:1001', 'a user the Dockerfile creates'],
    ['USER 2000:2000', '2000:2000', 'a numeric user'],
    ['USER root', '65532:65532', 'root is replaced'],
  ];
  for (const [line, want, why] of cases) {
    const app = nodeApp(`node-user-${want.replace(':', '-')}`);
    const dockerfile = `FROM node:22\nWORKDIR /app\nCOPY . .\n${line}\nCMD ["node", "server.js"]\n`;
    writeFileSync(join(app, 'Dockerfile'), dockerfile);
    const converted = convertDockerfile(dockerfile, { context: app });
    assert.equal(/^USER (.+)$/m.exec(converted.dockerfile)?.[1], want, `convert: ${why}`);
    const r = await build({ appDir: app, writable: ['tmp'] });
    try {
      assert.equal((await r.image.config()).config?.User, want, `build: ${why}`);
      // The one directory the app writes belongs to the user it runs as; the code stays root's.
      const es = await entries(r.layers.find((l) => l.name === 'app')!.layer);
      const uid = Number.parseInt(want, 10);
      assert.deepEqual(es.filter((e) => e.uid !== 0).map((e) => [e.name, e.uid]), [['app/tmp/', uid]], why);
    } finally {
      r.cleanup();
    }
  }
});

test('same inputs and SOURCE_DATE_EPOCH give the same digest; another epoch gives another', async () => {
  const app = nodeApp('node-repro');
  const digests: string[] = [];
  for (const sde of ['1700000000', '1700000000', '1600000000']) {
    const r = await buildApp({ appDir: app, baseDir: bases, sourceEnv: { SOURCE_DATE_EPOCH: sde } });
    digests.push(await r.image.digest());
    r.cleanup();
  }
  assert.equal(digests[0], digests[1]);
  assert.notEqual(digests[0], digests[2]);
});

test('git repository: revision and source annotations from the app directory', async () => {
  const app = nodeApp('node-git');
  execFileSync('sh', ['-c', 'rm -rf .git && git init -q && git add -A && git -c user.email=t@e -c user.name=t commit -qm init && git remote add origin https://example.invalid/team/app.git'], { cwd: app });
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: app, encoding: 'utf8' }).trim();
  const r = await build({ appDir: app, env: { GREETING: 'hi' }, ports: ['9090'], labels: { team: 'web' } });
  try {
    const m = await r.image.manifest();
    assert.equal(m.annotations?.['org.opencontainers.image.revision'], head);
    assert.equal(m.annotations?.['org.opencontainers.image.source'], 'https://example.invalid/team/app.git');
    const cfg = await r.image.config();
    assert.equal(cfg.config?.Labels?.team, 'web');
    assert.equal(cfg.config?.Labels?.['org.opencontainers.image.revision'], head);
    assert.ok(cfg.config?.Env?.includes('GREETING=hi'));
    assert.deepEqual(Object.keys(cfg.config?.ExposedPorts ?? {}), ['9090/tcp']);
  } finally {
    r.cleanup();
  }
});

test('java: library jars in their own layer, unchanged when a source file changes; only the app layer differs', async () => {
  const app = join(work, 'java-app');
  const srcDir = join(app, 'src', 'main', 'java', 'demo');
  mkdirSync(srcDir, { recursive: true });
  mkdirSync(join(app, 'lib'), { recursive: true });
  // A library jar built here, standing in for a downloaded dependency.
  const libSrc = join(work, 'libsrc', 'greet');
  mkdirSync(libSrc, { recursive: true });
  writeFileSync(join(libSrc, 'Greeter.java'), 'package greet; public class Greeter { public static String hello() { return "hello"; } }\n');
  execFileSync('javac', ['-d', join(work, 'libclasses'), join(libSrc, 'Greeter.java')]);
  execFileSync('jar', ['--create', '--file', join(app, 'lib', 'greet.jar'), '-C', join(work, 'libclasses'), '.']);
  const main = (msg: string) => `package demo;\npublic class Main { public static void main(String[] a) { System.out.println(greet.Greeter.hello() + "${msg}"); } }\n`;
  writeFileSync(join(srcDir, 'Main.java'), main(' one'));
  const first = await build({ appDir: app });
  writeFileSync(join(srcDir, 'Main.java'), main(' two'));
  const second = await build({ appDir: app });
  const again = await build({ appDir: app });
  try {
    assert.deepEqual(first.layers.map((l) => l.name), ['dependencies', 'app']);
    assert.equal(first.layers[0]!.layer.digest, second.layers[0]!.layer.digest, 'dependency layer unchanged by a code change');
    assert.notEqual(first.layers[1]!.layer.digest, second.layers[1]!.layer.digest, 'app layer changed');
    assert.equal(await second.image.digest(), await again.image.digest(), 'javac + jar output is reproducible');
    assert.deepEqual((await entries(first.layers[0]!.layer)).map((e) => e.name), ['app/', 'app/lib/', 'app/lib/greet.jar']);
    const cfg = await second.image.config();
    assert.deepEqual(cfg.config?.Entrypoint, ['/usr/bin/java', '-jar']);
    assert.deepEqual(cfg.config?.Cmd, ['/app/app.jar']);
    // The jar runs with its library from the manifest Class-Path, as it will in the image.
    const run = join(work, 'java-run');
    mkdirSync(join(run, 'lib'), { recursive: true });
    copyFileSync(join(app, 'lib', 'greet.jar'), join(run, 'lib', 'greet.jar'));
    const jarEntry = (await entries(second.layers[1]!.layer)).find((e) => e.name === 'app/app.jar')!;
    assert.equal(jarEntry.mode, 0o644);
    const appJar = join(run, 'app.jar');
    // Re-read the jar bytes through the tar (binary-safe) and run it.
    const ex = tarStream.extract();
    await new Promise<void>((res, rej) => {
      ex.on('entry', (h, s, next) => {
        if (h.name !== 'app/app.jar') {
          s.resume();
          s.on('end', next);
          return;
        }
        const chunks: Buffer[] = [];
        s.on('data', (c: unknown) => chunks.push(c as Buffer));
        s.on('end', () => {
          writeFileSync(appJar, Buffer.concat(chunks));
          next();
        });
      });
      ex.on('finish', res);
      ex.on('error', rej);
      void second.layers[1]!.layer.uncompressed().then((s) => s.pipe(ex));
    });
    assert.equal(execFileSync('java', ['-jar', appJar], { encoding: 'utf8' }).trim(), 'hello two');
  } finally {
    for (const r of [first, second, again]) r.cleanup();
  }
});

test('python: no third-party packages builds; --offline without a wheelhouse is refused with the reason', async () => {
  const app = join(work, 'py-app');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'app.py'), 'print("hi")\n');
  writeFileSync(join(app, 'requirements.txt'), '# stdlib only\n\n');
  const r = await build({ appDir: app });
  try {
    assert.equal(r.runtime, 'python');
    assert.deepEqual((await r.image.config()).config?.Cmd, ['/app/app.py']);
    assert.deepEqual((await r.image.config()).config?.Entrypoint, ['/usr/bin/python3']);
  } finally {
    r.cleanup();
  }
  writeFileSync(join(app, 'requirements.txt'), 'flask==3.0.0\n');
  // --offline reaches no index: a wheelhouse is the way.
  await assert.rejects(build({ appDir: app, deps: { offline: true } }), (e: unknown) => e instanceof DistillError && /--offline/.test(e.message) && /--artifact WHEELHOUSE/.test(e.message));
});

test('python: an index pip cannot reach fails with pip\'s error line and names the log holding its output', async () => {
  const app = join(work, 'py-noindex');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'app.py'), 'print("hi")\n');
  writeFileSync(join(app, 'requirements.txt'), 'flask==3.0.0\n');
  const keep = { ...process.env };
  // A closed loopback port as the index, and none of this machine's pip configuration.
  Object.assign(process.env, { PIP_CONFIG_FILE: '/dev/null', PIP_FIND_LINKS: '', PIP_EXTRA_INDEX_URL: '', PIP_RETRIES: '0', PIP_TIMEOUT: '2', PIP_INDEX_URL: `http://127.0.0.1:${await freeLoopbackPort()}/simple/`, XDG_CACHE_HOME: join(work, 'py-noindex-cache') });
  try {
    await assert.rejects(build({ appDir: app }), (e: unknown) => {
      assert.ok(e instanceof DistillError);
      assert.match(e.input, /requirements\.txt$/);
      assert.match(e.message, /^pip install failed: .*flask/i);
      const log = /full output: (\S+\.log)\)$/.exec(e.message)?.[1];
      assert.ok(log && existsSync(log) && /127\.0\.0\.1/.test(readFileSync(log, 'utf8')), e.message);
      return true;
    });
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in keep)) delete process.env[k];
    Object.assign(process.env, keep);
  }
});

test('a prebuilt static binary goes to /app/server as the entrypoint on the static base', async () => {
  const app = tempDir('distill-static-');
  const r = await build({ appDir: app, artifact: '/bin/busybox' });
  try {
    assert.equal(r.runtime, 'static');
    assert.equal(r.flavour, 'static');
    assert.match(r.base, /static:nonroot$/);
    const cfg = await r.image.config();
    assert.deepEqual(cfg.config?.Entrypoint, ['/app/server']);
    const es = await entries(r.layers[0]!.layer);
    assert.deepEqual(es.map((e) => [e.name, e.mode]), [['app/', 0o755], ['app/server', 0o755]]);
  } finally {
    r.cleanup();
  }
});

// Without any base named, the build makes one in the cache: test/base/cached.test.ts and test/e2e/build-default-base.test.ts.
test('a --base-dir without the flavour\'s layout says how to build one', async () => {
  const app = nodeApp('node-nobase');
  await assert.rejects(buildApp({ appDir: app, baseDir: join(work, 'no-bases') }), (e: unknown) => e instanceof DistillError && /distill base nodejs/.test(e.message));
});

test('dotnet without the SDK says so and how to use --artifact', async () => {
  const app = tempDir('distill-dotnet-');
  writeFileSync(join(app, 'web.csproj'), '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n');
  await assert.rejects(build({ appDir: app }), (e: unknown) => e instanceof DistillError && /dotnet/.test(e.message) && /--artifact/.test(e.message));
});

test('CLI: --json reports digest, layers and config; oci-archive output', async () => {
  const app = nodeApp('node-cli');
  const out = join(work, 'cli.tar');
  const r = await runDistill(['build', app, '--base-dir', bases, '-o', `oci-archive:${out}`, '-t', 'v1', '--env', 'A=b', '--json'], { env: SDE });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.match(j.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(j.runtime, 'node');
  assert.equal(j.base.flavour, 'nodejs');
  assert.deepEqual([j.base.source, j.base.cache], ['base-dir', null]);
  assert.deepEqual(j.outputs, [`oci-archive:${out}:v1`]);
  assert.equal(j.layers[0].name, 'app');
  assert.equal(j.config.user, '65532:65532');
  assert.ok(j.config.env.includes('A=b'));
  const again = await runDistill(['build', app, '--base-dir', bases, '-o', `oci:${join(work, 'cli-layout')}`, '--env', 'A=b', '--json'], { env: SDE });
  assert.equal(JSON.parse(again.stdout).digest, j.digest, 'the same build through another transport has the same digest');
  const bad = await runDistill(['build', app, '--runtime', 'cobol']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^distill: --runtime cobol: unknown runtime/m);
});

test('CLI --push: the image lands in a real registry with the digest the layout holds (skopeo reads it)', async () => {
  const reg = await startRegistry();
  try {
    const app = nodeApp('node-push');
    const layout = join(work, 'pushed');
    const ref = `${reg.host}/team/app:1`;
    const r = await runDistill(['build', app, '--base-dir', bases, '-o', `oci:${layout}:1`, '--push', ref, '--json'], { env: SDE });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.pushed, [ref]);
    const local = execFileSync('skopeo', ['inspect', '--format', '{{.Digest}}', `oci:${layout}:1`], { encoding: 'utf8' }).trim();
    assert.equal(local, j.digest);
    const pushed = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${ref}`], { encoding: 'utf8' }).trim();
    assert.equal(pushed, j.digest);
  } finally {
    await reg.stop();
  }
});
