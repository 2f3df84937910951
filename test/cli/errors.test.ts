/**
 * Real failures through the real binary: each gives its stable code in `--json` (one JSON line on
 * stdout, where a script parsing the output looks, and the one text line on stderr) and the exit status docs/errors.md promises, and the text form stays
 * `distill: <input>: <message>`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sha256 } from '../../src/oci/digest.ts';
import { writeImage } from '../../src/oci/reference.ts';
import { runDistill, type CliResult } from '../helpers/cli.ts';
import { makeImage, tempDir } from '../helpers/images.ts';
import { dir, file, rawTar, writeLayoutByHand, type BlobLayerSpec, type LayoutSpec } from '../layers/helpers.ts';

/** The error a `--json` run reported: one JSON line on stdout, and the same failure as one text line on stderr. */
function jsonError(r: CliResult): { code: string; input: string; message: string } {
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stdout);
  const parsed = JSON.parse(lines[0]!) as { error: { code: string; input: string; message: string } };
  assert.deepEqual(Object.keys(parsed), ['error']);
  assert.deepEqual(Object.keys(parsed.error).sort(), ['code', 'input', 'message']);
  assert.equal(r.stderr, `distill: ${parsed.error.input}: ${parsed.error.message}\n`, 'stderr: the same failure, one line');
  return parsed.error;
}

test('a layout directory that is not there: E_NOT_FOUND, exit 2, text form unchanged', async () => {
  const ref = `oci:${join(tempDir(), 'nonexistent')}`;
  const j = await runDistill(['inspect', '--json', ref]);
  assert.equal(j.code, 2);
  assert.deepEqual(jsonError(j), { code: 'E_NOT_FOUND', input: ref, message: 'no such directory' });
  const t = await runDistill(['inspect', ref]);
  assert.equal(t.code, 2);
  assert.equal(t.stderr, `distill: ${ref}: no such directory\n`);
});

test('an unknown flag with --json: E_USAGE naming the command, and commander prints nothing of its own', async () => {
  const r = await runDistill(['inspect', '--json', '--no-such-flag', 'oci:/x']);
  assert.equal(r.code, 2);
  const e = jsonError(r);
  assert.equal(e.code, 'E_USAGE');
  assert.equal(e.input, 'distill inspect');
  assert.match(e.message, /^unknown option '--no-such-flag'/);
  const top = await runDistill(['--json', '--bogus']);
  assert.equal(top.code, 2);
  assert.deepEqual([jsonError(top).code, jsonError(top).input], ['E_USAGE', 'distill']);
});

test('an unknown command is one line even with its suggestion', async () => {
  const r = await runDistill(['inpsect', 'x']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^distill: unknown command 'inpsect'.*inspect/);
});

/** A plain (uncompressed) tar layer: a flipped byte changes the digest and nothing else. */
function tarLayer(tar: Buffer): BlobLayerSpec {
  return { blob: tar, diffId: sha256(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar' };
}

const good = rawTar([dir('etc'), file('etc/hostname', 'box')]);
const flipped = Buffer.from(good);
// The first byte of etc/hostname's content: after two 512-byte headers and the dir's empty body.
flipped[1024] = 'c'.charCodeAt(0);

const broken: { name: string; spec: LayoutSpec; code: string; exit: number; message: RegExp }[] = [
  {
    name: 'a blob whose bytes do not hash to its digest',
    spec: { layers: [tarLayer(good)], corrupt: new Map([[sha256(good), flipped]]) },
    code: 'E_DIGEST_MISMATCH',
    exit: 2,
    message: /digest mismatch: content is sha256:/,
  },
  {
    name: 'a blob longer than its descriptor says',
    spec: { layers: [tarLayer(good)], corrupt: new Map([[sha256(good), Buffer.concat([good, Buffer.alloc(512)])]]) },
    code: 'E_SIZE_MISMATCH',
    exit: 2,
    message: /larger than its declared size/,
  },
  {
    name: 'a blob missing from the layout',
    spec: { layers: [tarLayer(good)], omit: [sha256(good)] },
    code: 'E_NOT_FOUND',
    exit: 2,
    message: /missing blob/,
  },
  {
    name: "a tar entry with a '..' component",
    spec: { layers: [tarLayer(rawTar([file('../escape', 'x')]))] },
    code: 'E_REFUSED',
    exit: 3,
    message: /'\.\.' component/,
  },
];

for (const b of broken) {
  test(`inspect and export of ${b.name}: ${b.code}, exit ${b.exit}`, async () => {
    const sandbox = tempDir();
    const layout = join(sandbox, 'layout');
    writeLayoutByHand(layout, 't', b.spec);
    const ref = `oci:${layout}:t`;
    const [insp, ex] = await Promise.all([runDistill(['inspect', '--json', ref]), runDistill(['export', ref, join(sandbox, 'out')])]);
    assert.equal(insp.code, b.exit, insp.stderr);
    const e = jsonError(insp);
    assert.equal(e.code, b.code);
    assert.match(e.message, b.message);
    assert.equal(ex.code, b.exit, ex.stderr);
    assert.match(ex.stderr, /^distill: \S/);
    assert.match(ex.stderr, b.message);
  });
}

test('scan --format json without a database: E_NO_DB, exit 2, saying how to get one', async () => {
  const d = tempDir();
  const ref = `oci:${join(d, 'img')}:t`;
  await writeImage(await makeImage([[{ name: 'etc/hostname', content: 'box' }]]), ref);
  const r = await runDistill(['scan', '--format', 'json', ref], { env: { DISTILL_CACHE_DIR: tempDir('distill-empty-cache-') } });
  assert.equal(r.code, 2);
  const e = jsonError(r);
  assert.equal(e.code, 'E_NO_DB');
  assert.match(e.message, /distill db import/);
});
