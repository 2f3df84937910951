/**
 * The after image must be what `distill build` gives: harden compares the engine-built
 * Dockerfile.distroless image with distill's and shows every difference (a difference fails
 * harden); the local copy of the converted Dockerfile names the local base, the user's keeps the public one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageDifferences, pointFromAt } from '../../src/harden/after.ts';
import { makeImage, type TestEntry } from '../helpers/images.ts';

const app: TestEntry[] = [
  { name: 'app', type: 'directory' },
  { name: 'app/server.js', content: 'require("http").createServer().listen(8080)\n' },
  { name: 'app/package.json', content: '{"name":"web"}\n' },
  { name: 'app/node_modules', type: 'directory' },
  { name: 'app/node_modules/.bin', type: 'directory' },
  { name: 'app/node_modules/.bin/semver', type: 'symlink', linkname: '../semver/bin/semver.js' },
];
const config = { workdir: '/app', cmd: ['server.js'], user: '65532:65532', env: { NODE_ENV: 'production' }, exposedPorts: ['8080/tcp'] };

test('the same config and files under the WorkingDir: no differences', async () => {
  assert.deepEqual(await imageDifferences(await makeImage([app], config), await makeImage([app], config)), []);
});

test('a different Cmd, an extra Env entry and a file only one side has are each shown, both sides', async () => {
  const engine = await makeImage([[...app, { name: 'app/.env', content: 'SECRET=1\n' }]], { ...config, cmd: ['node', 'server.js'], env: { NODE_ENV: 'production', DEBUG: '1' } });
  const distill = await makeImage([app], config);
  const d = await imageDifferences(engine, distill);
  assert.deepEqual(d, [
    'Cmd: Dockerfile.distroless ["node","server.js"]; distill build ["server.js"]',
    'Env: only in Dockerfile.distroless ["DEBUG=1"]; only in distill build []',
    'files under /app only in Dockerfile.distroless: [".env"]',
  ]);
});

test('a different User or WorkingDir is a difference (files are then not compared path by path)', async () => {
  const d = await imageDifferences(await makeImage([app], { ...config, user: 'root' }), await makeImage([app], { ...config, workdir: '/srv' }));
  assert.deepEqual(d, ['User: Dockerfile.distroless "root"; distill build "65532:65532"', 'WorkingDir: Dockerfile.distroless "/app"; distill build "/srv"']);
});

test('the local copy names the local base in FROM only; other stages and text stay', () => {
  const text = 'FROM node:22 AS build\nRUN npm ci\n\nFROM gcr.io/distroless/nodejs22-debian12:nonroot\n# from gcr.io/distroless/nodejs22-debian12:nonroot\nCOPY --from=build /app /app\n';
  assert.equal(
    pointFromAt(text, 'gcr.io/distroless/nodejs22-debian12:nonroot', 'localhost/distill-harden/base-nodejs:nonroot'),
    'FROM node:22 AS build\nRUN npm ci\n\nFROM localhost/distill-harden/base-nodejs:nonroot\n# from gcr.io/distroless/nodejs22-debian12:nonroot\nCOPY --from=build /app /app\n',
  );
  assert.equal(pointFromAt('FROM --platform=linux/amd64 b:1 AS run\n', 'b:1', 'l:1'), 'FROM --platform=linux/amd64 l:1 AS run\n');
  assert.equal(pointFromAt('FROM b:10\n', 'b:1', 'l:1'), 'FROM b:10\n');
});
