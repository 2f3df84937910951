/**
 * Sonames to Debian packages from a Contents index served by a loopback mirror (signed with a key
 * made here): library lines kept, others dropped, the index checked against the signed InRelease
 * and reduced once into the cache.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fetchContents, packagesForSonames, parseContentsLine } from '../../src/debian/contents.ts';
import { fetchRelease } from '../../src/debian/release.ts';
import type { Repository } from '../../src/debian/sources.ts';
import { isDistillError } from '../../src/util/errors.ts';
import { clearsign, makeKey, makeRepo, serve, tmp, type TestKey, type TestServer } from '../debian/fakerepo.ts';

const CONTENTS = [
  'usr/bin/xmllint                                            text/libxml2-utils',
  'usr/lib/x86_64-linux-gnu/libxml2.so.2                      libs/libxml2',
  'usr/lib/x86_64-linux-gnu/libxml2.so.2.9.14                 libs/libxml2',
  'usr/lib/x86_64-linux-gnu/libxslt.so.1                      libs/libxslt1.1',
  'usr/lib/x86_64-linux-gnu/libpq.so.5                        libs/libpq5',
  'lib/x86_64-linux-gnu/libz.so.1                             libs/zlib1g',
  'usr/lib/libz.so.1                                          libs/zlib1g-compat,oldlibs/zlib1g-old',
  'usr/share/doc/libxml2/copyright                            libs/libxml2',
  'usr/lib/python3/dist-packages/lxml/etree.cpython-311-x86_64-linux-gnu.so python/python3-lxml',
  'usr/share/doc/odd name/libfake.so.1                        misc/odd',
].join('\n') + '\n';

let key: TestKey;
let server: TestServer;
let repository: Repository;
let suite: string;

before(async () => {
  const dir = tmp();
  key = await makeKey(dir);
  const repo = await makeRepo(join(dir, 'repo'), [{ name: 'base-demo', version: '1.0', files: { 'etc/demo': 'x' } }], key.privateKey);
  suite = repo.suite;
  const gz = gzipSync(Buffer.from(CONTENTS));
  writeFileSync(join(repo.root, 'dists', suite, 'main/Contents-amd64.gz'), gz);
  const release = `${repo.releaseText.trimEnd()}\n ${createHash('sha256').update(gz).digest('hex')} ${String(gz.length).padStart(8)} main/Contents-amd64.gz\n`;
  writeFileSync(join(repo.root, 'dists', suite, 'Release'), release);
  writeFileSync(join(repo.root, 'dists', suite, 'InRelease'), await clearsign(release, key.privateKey));
  server = await serve(repo.root);
  repository = { uri: server.url.replace(/\/$/, ''), suite, components: ['main'], role: 'main' };
});
after(() => server.close());

test('a Contents line is a library only under the library directories', () => {
  assert.deepEqual(parseContentsLine('usr/lib/x86_64-linux-gnu/libxml2.so.2   libs/libxml2'), { path: '/usr/lib/x86_64-linux-gnu/libxml2.so.2', name: 'libxml2.so.2', packages: ['libxml2'] });
  assert.deepEqual(parseContentsLine('usr/lib/libz.so.1 libs/a,oldlibs/b')?.packages, ['a', 'b']);
  assert.equal(parseContentsLine('usr/share/doc/libxml2/copyright libs/libxml2'), undefined);
  assert.equal(parseContentsLine('usr/lib/python3/dist-packages/lxml/etree.cpython-311-x86_64-linux-gnu.so python/python3-lxml'), undefined);
});

test('sonames map to their packages from the signed Contents index, multiarch first; read once, then from the cache', async () => {
  process.env.DISTILL_CACHE_DIR = tmp('distill-cache-');
  const release = await fetchRelease(repository, { keyring: key.keyring });
  server.requests.length = 0;
  const index = await fetchContents(release, { fetch: { retries: 1, backoffMs: 5 } });
  assert.ok(server.requests.includes(`/dists/${suite}/main/Contents-amd64.gz`));
  const map = packagesForSonames(index, ['libxml2.so.2', 'libxslt.so.1', 'libpq.so.5', 'libz.so.1', 'libnothere.so.9']);
  assert.deepEqual(Object.fromEntries(map), { 'libxml2.so.2': ['libxml2'], 'libxslt.so.1': ['libxslt1.1'], 'libpq.so.5': ['libpq5'], 'libz.so.1': ['zlib1g', 'zlib1g-compat', 'zlib1g-old'], 'libnothere.so.9': [] });
  assert.equal(index.has('libfake.so.1'), false, 'a .so outside the library directories is not a library');
  server.requests.length = 0;
  const again = await fetchContents(release);
  assert.deepEqual(server.requests, [], 'the reduced index comes from the cache');
  assert.deepEqual(again, index);
});

test('a Contents index that does not match the signed hash is refused', async () => {
  process.env.DISTILL_CACHE_DIR = tmp('distill-cache-');
  const release = await fetchRelease(repository, { keyring: key.keyring });
  server.override.set(`/dists/${suite}/main/Contents-amd64.gz`, gzipSync(Buffer.from(CONTENTS.replace('libs/libpq5', 'libs/evil'))));
  try {
    await assert.rejects(fetchContents(release, { fetch: { retries: 1, backoffMs: 5 } }), (e) => isDistillError(e, 'E_DIGEST_MISMATCH', 'E_SIZE_MISMATCH') && /Contents index does not match the signed InRelease/.test((e as Error).message));
  } finally {
    server.override.clear();
  }
});
