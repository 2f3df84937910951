/**
 * The recording mirror the tests replay the Debian archive and npm registry from: what setup
 * records is served byte for byte, dists/ and packuments are re-fetched on a new recording while
 * pool files are kept, anything not recorded is a 404 that is remembered, paths cannot leave the
 * recording, npm tarball URLs name the replay, and apt sources are rewritten to name it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startMirror, writeMirrorAptDir } from './mirror.mjs';
import { tempDir } from './images.ts';

async function upstream(files: Record<string, () => string>): Promise<{ host: string; hits: string[]; close(): void }> {
  const hits: string[] = [];
  const s = createServer((req, res) => {
    hits.push(req.url!);
    const f = files[req.url!];
    if (!f) return res.writeHead(404).end();
    res.end(f());
  });
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  return { host: `127.0.0.1:${(s.address() as AddressInfo).port}`, hits, close: () => s.close() };
}

test('record fetches once (dists/ afresh each recording), replay serves only what was recorded', async () => {
  const dir = tempDir('distill-mirror-');
  let release = 'Suite: bookworm\n';
  const up = await upstream({ '/debian/dists/bookworm/InRelease': () => release, '/debian/pool/main/h/hello.deb': () => 'deb bytes' });
  try {
    const rec = await startMirror({ dir, record: true });
    const base = `${rec.url}/http/${up.host}/debian`;
    assert.equal(await (await fetch(`${base}/dists/bookworm/InRelease`)).text(), 'Suite: bookworm\n');
    assert.equal(await (await fetch(`${base}/pool/main/h/hello.deb`)).text(), 'deb bytes');
    assert.equal(await (await fetch(`${base}/pool/main/h/hello.deb`)).text(), 'deb bytes');
    assert.equal((await fetch(`${base}/pool/main/n/nope.deb`)).status, 404);
    await rec.close();
    assert.deepEqual(up.hits, ['/debian/dists/bookworm/InRelease', '/debian/pool/main/h/hello.deb', '/debian/pool/main/n/nope.deb']);

    release = 'Suite: bookworm\nDate: later\n';
    const again = await startMirror({ dir, record: true });
    const base2 = `${again.url}/http/${up.host}/debian`;
    assert.equal(await (await fetch(`${base2}/dists/bookworm/InRelease`)).text(), release, 'a new recording re-fetches dists/');
    await fetch(`${base2}/pool/main/h/hello.deb`);
    await again.close();
    assert.equal(up.hits.filter((h) => h.endsWith('hello.deb')).length, 1, 'pool files are kept');

    const replay = await startMirror({ dir });
    const base3 = `${replay.url}/http/${up.host}/debian`;
    up.close();
    assert.equal(await (await fetch(`${base3}/dists/bookworm/InRelease`)).text(), release);
    const miss = await fetch(`${base3}/pool/main/x/other.deb`);
    assert.equal(miss.status, 404);
    assert.match(await miss.text(), /was not recorded at setup/);
    assert.deepEqual(replay.missing, [`/http/${up.host}/debian/pool/main/x/other.deb`]);
    // A path that climbs out of the recording is refused, whatever is on disk.
    writeFileSync(join(dir, 'secret.body'), 'no');
    const res = await fetch(`${replay.url}/http/${up.host}/%2e%2e/%2e%2e/%2e%2e/secret`);
    assert.notEqual(res.status, 200);
    await replay.close();
  } finally {
    up.close();
  }
});

test('npm packuments name the replay for their tarballs; tarballs are served as recorded', async () => {
  const dir = tempDir('distill-mirror-npm-');
  const up = await upstream({});
  const registry = `http://${up.host}/`;
  const doc = JSON.stringify({ versions: { '1.0.0': { dist: { tarball: `${registry}left-pad/-/left-pad-1.0.0.tgz` } } } });
  mkdirSync(join(dir, 'files', 'npm', 'left-pad', '-'), { recursive: true });
  writeFileSync(join(dir, 'files', 'npm', 'left-pad.body'), doc);
  writeFileSync(join(dir, 'files', 'npm', 'left-pad', '-', 'left-pad-1.0.0.tgz.body'), 'tgz');
  writeFileSync(join(dir, 'npm-upstream.txt'), registry);
  const replay = await startMirror({ dir });
  try {
    const got = (await (await fetch(`${replay.url}/npm/left-pad`)).json()) as { versions: Record<string, { dist: { tarball: string } }> };
    const tarball = got.versions['1.0.0']!.dist.tarball;
    assert.equal(tarball, `${replay.url}/npm/left-pad/-/left-pad-1.0.0.tgz`);
    assert.equal(await (await fetch(tarball)).text(), 'tgz');
    assert.deepEqual(up.hits, [], 'replay never asks upstream');
  } finally {
    await replay.close();
    up.close();
  }
});

test('apt sources are copied with their URIs naming the mirror; suites, components and keyrings kept', () => {
  const etc = tempDir('distill-mirror-etc-');
  mkdirSync(join(etc, 'sources.list.d'));
  writeFileSync(join(etc, 'sources.list'), '# http://comment.example/ stays\ndeb [signed-by=/k.gpg] http://deb.debian.org/debian bookworm main\n');
  writeFileSync(join(etc, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: https://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');
  writeFileSync(join(etc, 'sources.list.d', 'notes.txt'), 'http://ignored/\n');
  const out = writeMirrorAptDir('http://127.0.0.1:9', join(etc, 'out'), etc);
  assert.equal(readFileSync(join(out, 'sources.list'), 'utf8'), '# http://comment.example/ stays\ndeb [signed-by=/k.gpg] http://127.0.0.1:9/http/deb.debian.org/debian bookworm main\n');
  assert.equal(
    readFileSync(join(out, 'sources.list.d', 'debian.sources'), 'utf8'),
    'Types: deb\nURIs: http://127.0.0.1:9/https/deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
  );
  assert.throws(() => readFileSync(join(out, 'sources.list.d', 'notes.txt')));
});
