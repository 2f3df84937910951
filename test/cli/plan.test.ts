/**
 * `distill plan` as a user runs it: the plan it prints is the one convert writes and build
 * assembles (launch checked against both renderings), refusals exit 3, --target picks a stage,
 * bad input exits 2 on one line, and text output never carries a raw control character.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';
import { makeImage, tempDir } from '../helpers/images.ts';
import { convertDockerfile } from '../../src/dockerfile/convert/index.ts';
import { parseDockerfile } from '../../src/dockerfile/parse.ts';
import { buildApp } from '../../src/assemble/index.ts';
import { flavour } from '../../src/base/flavours.ts';
import { writeLayout } from '../../src/oci/transports/layout.ts';
import { describePlan } from '../../src/plan/describe.ts';
import { isDistillError } from '../../src/util/errors.ts';

const work = tempDir('distill-plan-cli-');
let apps = 0;

/** Writes an app directory (path -> content) and returns it. */
function app(files: Record<string, string>, executable: string[] = []): string {
  const dir = join(work, `app-${apps++}`);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  for (const p of executable) chmodSync(join(dir, p), 0o755);
  return dir;
}

const pkg = (o: Record<string, unknown>) => JSON.stringify({ version: '1.0.0', private: true, license: 'UNLICENSED', ...o }, null, 2) + '\n';

const NODE_APP = {
  'package.json': pkg({ name: 'orders-api', scripts: { start: 'node --enable-source-maps dist/main.js', test: 'node --test' } }),
  'dist/main.js': "require('node:http').createServer((q, s) => s.end('ok')).listen(3000);\n//# sourceMappingURL=main.js.map\n",
  'dist/main.js.map': '{"version":3,"file":"main.js","sources":["../src/main.ts"],"names":[],"mappings":""}\n',
  Dockerfile: `FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /usr/src/app
COPY package.json ./
RUN npm ci --omit=dev
COPY dist ./dist
EXPOSE 3000
CMD ["npm", "start"]
`,
};

/** The final stage's ENTRYPOINT and CMD of a Dockerfile, as exec-form arrays (null when not set). */
function finalLaunch(text: string): { entrypoint: string[] | null; cmd: string[] | null } {
  const { stages } = parseDockerfile(text);
  const c = stages[stages.length - 1]!.config;
  return { entrypoint: c.entrypoint?.exec ?? null, cmd: c.cmd?.exec ?? null };
}

test('--json: the launch is what build sets on its base and what convert writes for the same provider', async () => {
  const dir = app(NODE_APP);
  const r = await runDistill(['plan', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.status, 'planned');
  assert.equal(j.dockerfile, join(dir, 'Dockerfile'));
  assert.deepEqual(j.stage, { index: 0, name: null, from: 'node:20-slim' });
  assert.equal(j.language, 'node');
  assert.equal(j.buildTool, 'npm');
  assert.equal(j.version, '20');
  assert.equal(j.workdir, '/usr/src/app');
  assert.deepEqual(j.ports, ['3000']);
  assert.equal(j.env.NODE_ENV, 'production');
  // npm is not in the runtime: the start script runs, its flag kept.
  assert.deepEqual(j.launch.argv.slice(1), ['--enable-source-maps', 'dist/main.js']);
  assert.match(j.launch.argv[0], /(^|\/)node$/);

  // build, on a base with the entrypoint of distill's nodejs flavour, sets exactly this launch.
  const baseDir = join(work, 'base-nodejs');
  await writeLayout(await makeImage([[{ name: 'etc/', type: 'directory' }]], { entrypoint: [...flavour('nodejs').entrypoint!], user: '65532' }), baseDir, 'nonroot');
  const built = await buildApp({ appDir: dir, base: `oci:${baseDir}:nonroot` });
  try {
    const c = (await built.image.config()).config!;
    assert.deepEqual(c.Cmd, j.launch.cmd);
    assert.deepEqual([...(c.Entrypoint ?? []), ...(c.Cmd ?? [])], j.launch.argv);
    assert.deepEqual(c.Entrypoint, j.launch.entrypoint ?? j.base.entrypoint);
  } finally {
    built.cleanup();
  }

  // convert's Dockerfile for google has the launch `plan --provider google` prints.
  const g = JSON.parse((await runDistill(['plan', dir, '--json', '--provider', 'google'])).stdout);
  const conv = convertDockerfile(NODE_APP.Dockerfile, { context: dir, provider: 'google' });
  assert.equal(conv.base, g.base.image);
  assert.deepEqual(finalLaunch(conv.dockerfile), { entrypoint: g.launch.entrypoint, cmd: g.launch.cmd });
  assert.deepEqual(g.launch.argv, [...(g.launch.entrypoint ?? g.base.entrypoint), ...g.launch.cmd]);
});

test('text output summarises the plan; a provider warning means review (exit 1)', async () => {
  const dir = app(NODE_APP);
  const r = await runDistill(['plan', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^source: +.*Dockerfile, stage 0, FROM node:20-slim$/m);
  assert.match(r.stdout, /^language: +node \(npm\)/m);
  assert.match(r.stdout, /^cmd: +\["--enable-source-maps","dist\/main\.js"\]$/m);
  assert.match(r.stdout, /^argv: +\[".*node","--enable-source-maps","dist\/main\.js"\]$/m);
  assert.match(r.stdout, /^ +NODE_ENV=production$/m);
  assert.match(r.stdout, /^expose: +3000$/m);
  assert.match(r.stdout, /^warnings: +none$/m);
  // Google publishes no Node.js 20 image: the plan says which major it chose instead.
  const g = await runDistill(['plan', dir, '--provider', 'google']);
  assert.equal(g.code, 1);
  assert.match(g.stdout, /^base: +nodejs: gcr\.io\/distroless\/nodejs\d+-debian13:nonroot \(google provider\)$/m);
  assert.match(g.stdout, /^ +- Node\.js 20 .*chosen$/m);
  const q = await runDistill(['plan', dir, '--provider', 'google', '-q']);
  assert.equal(q.code, 1);
  assert.equal(q.stdout + q.stderr, '');
});

test('an ENTRYPOINT shell script is refused with exit 3, one line in text, a status in JSON', async () => {
  const dir = app(
    {
      'package.json': pkg({ name: 'worker', scripts: { start: 'node server.js' } }),
      'server.js': "console.log('up');\n",
      'docker-entrypoint.sh': '#!/bin/sh\nset -e\nnode migrate.js\nexec "$@"\n',
      Dockerfile: 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nENTRYPOINT ["./docker-entrypoint.sh"]\nCMD ["node", "server.js"]\n',
    },
    ['docker-entrypoint.sh'],
  );
  const r = await runDistill(['plan', dir]);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^distill: .*Dockerfile: refused: .*docker-entrypoint\.sh.*\n$/);
  const j = await runDistill(['plan', dir, '--json']);
  assert.equal(j.code, 3);
  const out = JSON.parse(j.stdout);
  assert.equal(out.status, 'refused');
  assert.match(out.reason, /docker-entrypoint\.sh/);
  // convert refuses it for the same reason.
  assert.equal(convertDockerfile(readFileSync(join(dir, 'Dockerfile'), 'utf8'), { context: dir }).refusal, out.reason);
});


test('--target plans the named stage: the dev server, not the production one', async () => {
  const dir = app({
    'package.json': pkg({ name: 'web', scripts: { dev: 'node --watch src/server.js', build: 'node build.js' } }),
    'src/server.js': "console.log('dev');\n",
    'build.js': "require('node:fs').cpSync('src', 'dist', { recursive: true });\n",
    Dockerfile: `FROM node:20 AS dev
WORKDIR /src
COPY package.json ./
RUN npm install
COPY . .
RUN npm run build
CMD ["npm", "run", "dev"]

FROM node:20-slim AS prod
WORKDIR /app
COPY --from=dev /src/dist ./dist
CMD ["node", "dist/server.js"]
`,
  });
  const last = JSON.parse((await runDistill(['plan', dir, '--json'])).stdout);
  assert.deepEqual(last.stage, { index: 1, name: 'prod', from: 'node:20-slim' });
  assert.deepEqual(last.launch.argv.slice(1), ['dist/server.js']);
  const r = await runDistill(['plan', dir, '--target', 'dev', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const dev = JSON.parse(r.stdout);
  assert.deepEqual(dev.stage, { index: 0, name: 'dev', from: 'node:20' });
  assert.equal(dev.workdir, '/src');
  assert.deepEqual(dev.launch.argv.slice(1), ['--watch', 'src/server.js']);
  const bad = await runDistill(['plan', dir, '--target', 'staging']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^distill: .*Dockerfile: --target staging: no such stage \(stages: dev, prod\)\n$/);
});

test('bad input exits 2 on one line: no Dockerfile (build would detect), unreadable, not a Dockerfile', async () => {
  const dir = app({ 'package.json': pkg({ name: 'bare', scripts: { start: 'node index.js' } }), 'index.js': '\n' });
  const none = await runDistill(['plan', dir]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^distill: .*: no Dockerfile or Containerfile.*distill build would detect the app from package\.json[^\n]*\n$/);
  const json = await runDistill(['plan', dir, '--json']);
  assert.equal(json.code, 2);
  assert.equal(JSON.parse(json.stdout).error.code, 'E_NOT_FOUND');
  const missing = await runDistill(['plan', dir, '--dockerfile', join(dir, 'Dockerfile.prod')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^distill: .*Dockerfile\.prod: cannot read: ENOENT\n$/);
  const notDf = await runDistill(['plan', dir, '--dockerfile', join(dir, 'package.json')]);
  assert.equal(notDf.code, 2);
  assert.match(notDf.stderr, /^distill: .*package\.json: no FROM instruction: not a Dockerfile\n$/);
  // The library says the same through a DistillError, which is what the CLI prints.
  assert.throws(() => describePlan(dir), (e) => isDistillError(e, 'E_NOT_FOUND'));
});

test('a Containerfile is found when there is no Dockerfile; --dockerfile names another file', async () => {
  const { Dockerfile: text, ...rest } = NODE_APP;
  const dir = app({ ...rest, Containerfile: text });
  const d = describePlan(dir);
  assert.equal(d.dockerfile, join(dir, 'Containerfile'));
  writeFileSync(join(dir, 'Dockerfile.api'), text.replace('EXPOSE 3000', 'EXPOSE 8443'));
  const other = describePlan(dir, { dockerfile: join(dir, 'Dockerfile.api') });
  assert.equal(other.status, 'planned');
  assert.deepEqual(other.status === 'planned' && other.ports, ['8443']);
});

test('hostile ESC characters in an ENV value are escaped in text output and kept exact in JSON', async () => {
  const hostile = 'ok\x1b]0;pwned\x07\x1b[2J';
  const dir = app({ ...NODE_APP, Dockerfile: NODE_APP.Dockerfile.replace('ENV NODE_ENV=production', `ENV NODE_ENV=production\nENV BANNER="${hostile}"`) });
  const r = await runDistill(['plan', dir]);
  assert.equal(r.code, 0, r.stderr);
  // eslint-disable-next-line no-control-regex -- no raw control character but the newlines may reach the terminal
  assert.doesNotMatch(r.stdout, /[\x00-\x09\x0b-\x1f\x7f]/);
  assert.match(r.stdout, /^ +BANNER=ok\\x1b\]0;pwned\\x07\\x1b\[2J$/m);
  const j = JSON.parse((await runDistill(['plan', dir, '--json'])).stdout);
  assert.equal(j.env.BANNER, hostile);
});
