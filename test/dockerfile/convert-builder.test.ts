/** `--builder-image NAME=REF`: builder stages swap their base for a local toolchain image; the runtime stage does not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertDockerfile } from '../../src/dockerfile/convert/index.ts';
import { parseBuilderImages } from '../../src/cli/commands/convert.ts';
import { runDistill } from '../helpers/cli.ts';

const GO = 'FROM golang:1.22\nWORKDIR /app\nCOPY . .\nRUN go build -o /app/server .\nCMD ["/app/server"]\n';
const froms = (t: string) => t.split('\n').filter((l) => /^FROM /.test(l));

test('the single-stage builder (the old final stage) gets the replacement base, the runtime keeps the distroless one', () => {
  const r = convertDockerfile(GO, { basePrefix: 'localhost/d', builderImages: { 'golang:1.22': 'localhost/tc/go:1.19' }, context: { 'go.mod': 'module x\n\ngo 1.19\n' } });
  assert.deepEqual(froms(r.dockerfile), ['FROM localhost/tc/go:1.19 AS build', 'FROM localhost/d/base:nonroot']);
  assert.ok(r.changes.some((c) => c.kind === 'from' && c.reason.includes('localhost/tc/go:1.19')));
});

test('an earlier named builder stage is swapped too, keeping its name; unmatched images stay', () => {
  const src = 'FROM node:22 AS deps\nWORKDIR /app\nCOPY package.json .\nRUN npm install\nFROM golang:1.22 AS gob\nRUN true\nFROM gcr.io/distroless/nodejs22-debian12:nonroot\nCOPY --from=deps /app /app\nUSER 65532:65532\nCMD ["server.js"]\n';
  const r = convertDockerfile(src, { builderImages: { 'node:22': 'localhost/tc/node:22' } });
  assert.deepEqual(froms(r.dockerfile), ['FROM localhost/tc/node:22 AS deps', 'FROM golang:1.22 AS gob', 'FROM gcr.io/distroless/nodejs22-debian12:nonroot']);
});

test('without the option the output is unchanged, and converting the result again changes nothing', () => {
  const plain = convertDockerfile(GO, { basePrefix: 'localhost/d', context: { 'go.mod': 'module x\n' } });
  assert.match(plain.dockerfile, /^FROM golang:1\.22 AS build$/m);
  const once = convertDockerfile(GO, { basePrefix: 'localhost/d', builderImages: { 'golang:1.22': 'localhost/tc/go:1.19' }, context: { 'go.mod': 'module x\n' } });
  const twice = convertDockerfile(once.dockerfile, { basePrefix: 'localhost/d', builderImages: { 'golang:1.22': 'localhost/tc/go:1.19' }, context: { 'go.mod': 'module x\n' } });
  assert.equal(twice.dockerfile, once.dockerfile);
});

test('NAME=REF parsing: pairs map, malformed ones are user errors', async () => {
  assert.deepEqual(parseBuilderImages(['node:22=localhost/a/node:22', 'python:3.13=r/p@sha256:' + 'a'.repeat(64)]), { 'node:22': 'localhost/a/node:22', 'python:3.13': 'r/p@sha256:' + 'a'.repeat(64) });
  assert.equal(parseBuilderImages([]), undefined);
  for (const bad of ['node', '=x', 'node:22=']) assert.throws(() => parseBuilderImages([bad]), /expected NAME=REF/);
  const r = await runDistill(['convert', '-', '--builder-image', 'golang'], { input: GO });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--builder-image: "golang": expected NAME=REF/);
});

test('--base-prefix with a Python builder no Debian release ships is a warning; 3.11/3.13 or a swapped builder are not', () => {
  const py = (v: string) => `FROM python:${v}\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["python", "app.py"]\n`;
  const ctx = { 'requirements.txt': 'flask==3.0.0\n', 'app.py': 'print(1)\n' };
  const warned = convertDockerfile(py('3.12'), { basePrefix: 'localhost/d', context: ctx });
  assert.ok(warned.warnings.some((w) => /Python 3\.12/.test(w) && /3\.11 on Debian 12 or 3\.13 on Debian 13/.test(w)), warned.warnings.join('\n'));
  for (const r of [
    convertDockerfile(py('3.13'), { basePrefix: 'localhost/d', context: ctx }),
    convertDockerfile(py('3.11'), { basePrefix: 'localhost/d', context: ctx }),
    convertDockerfile(py('3.12'), { basePrefix: 'localhost/d', builderImages: { 'python:3.12': 'localhost/tc/python:3.11' }, context: ctx }),
  ]) {
    assert.ok(!r.warnings.some((w) => /distill base/.test(w)), r.warnings.join('\n'));
  }
});
