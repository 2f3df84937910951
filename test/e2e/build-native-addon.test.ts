/**
 * A Node app using a prebuilt native addon from npm that bundles its own shared library: sharp,
 * whose sharp-linux-x64.node finds libvips-cpp through an $ORIGIN RUNPATH into a sibling package.
 * The lockfile and packages come from npm's registry as setup recorded it (the network guard
 * replays it on loopback). `distill build` resolves the closure inside node_modules, adds nothing
 * to the nodejs base, and the image, run read-only as non-root, answers with a thumbnail that
 * sharp resized.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runDistill } from '../helpers/cli.ts';
import { tempDir } from '../helpers/images.ts';
import { podman } from '../helpers/podman.ts';
import { pullLayout, runHardened } from '../helpers/containers.ts';
import { NATIVE_ADDON_PACKAGE } from '../helpers/native-addon.ts';

const work = tempDir('distill-e2e-addon-');
const containers: string[] = [];
const images: string[] = [];
const x64 = process.arch === 'x64';

const SERVER = `const http = require('node:http');
const sharp = require('sharp');

http.createServer(async (req, res) => {
  // A red square drawn by libvips, shrunk to a 16 px thumbnail.
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c00' } }).resize(16).png().toBuffer();
  res.writeHead(200, { 'content-type': 'image/png', 'x-vips': sharp.versions.vips });
  res.end(png);
}).listen(8080, '0.0.0.0');
`;

after(async () => {
  for (const c of containers) await podman(['rm', '-f', '-t', '0', c]);
  for (const i of images) await podman(['rmi', '-f', i]);
});

test('sharp\'s bundled libvips is resolved through $ORIGIN: nothing is added to the base, and the image serves a resized PNG', { skip: x64 ? false : 'sharp\'s prebuilt here is linux-x64' }, async () => {
  const app = join(work, 'thumbs');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify(NATIVE_ADDON_PACKAGE, null, 2));
  writeFileSync(join(app, 'server.js'), SERVER);
  writeFileSync(join(app, 'Dockerfile'), 'FROM node:22-bookworm-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\nCOPY . .\nEXPOSE 8080\nCMD ["node", "server.js"]\n');
  // The lockfile a user commits, resolved from the registry npm is configured with (the replay).
  await promisify(execFile)('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: app, env: { ...process.env, npm_config_cache: join(work, 'npm-cache') } });

  const out = join(work, 'img');
  const r = await runDistill(['build', app, '-o', `oci:${out}:test`, '--json'], { env: { npm_config_cache: join(work, 'npm-cache'), SOURCE_DATE_EPOCH: '1700000000' } });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.base.flavour, 'nodejs');
  assert.deepEqual(j.base.added, [], 'libvips comes with the app, not from Debian');
  assert.deepEqual(j.warnings.filter((w: string) => /lacks|no Debian package/.test(w)), []);

  // The closure as distill needs reports it: the addon's libvips resolved inside node_modules.
  const needs = await runDistill(['needs', `oci:${out}:test`, '--json']);
  assert.equal(needs.code, 0, needs.stderr);
  const files = (JSON.parse(needs.stdout) as { files: { path: string; needs: { name: string; status: string; path?: string }[] }[] }).files;
  const addon = files.find((f) => /\/sharp-linux-x64\.node$/.test(f.path));
  assert.ok(addon, files.map((f) => f.path).join('\n'));
  const vips = addon.needs.find((n) => /^libvips-cpp\.so/.test(n.name));
  assert.equal(vips?.status, 'resolved');
  assert.match(vips?.path ?? '', /\/node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/);
  assert.deepEqual(addon.needs.filter((n) => n.status !== 'resolved'), []);

  const id = await pullLayout(`oci:${out}:test`);
  images.push(id);
  const { cid, port } = await runHardened(id);
  containers.push(cid);
  const deadline = Date.now() + 60_000;
  let res: Response | undefined;
  while (Date.now() < deadline) {
    res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
    if (res) break;
    await new Promise((ok) => setTimeout(ok, 300));
  }
  assert.ok(res, 'the app answered');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('x-vips') ?? '', /^\d+\.\d+\.\d+$/);
  const png = Buffer.from(await res.arrayBuffer());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  // IHDR: width and height, big-endian, at bytes 16 and 20.
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [16, 16]);
});
