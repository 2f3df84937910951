/**
 * The one image-reference parser over references as real Dockerfiles and registries write them:
 * `splitImage` keeps what was written (the convert and lint views), `parseDockerRef` /
 * `normalizeImageRef` give the canonical registry form (the pull and push view).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDockerRef, normalizeImageRef, parseDockerRef, splitImage } from '../../src/oci/docker-ref.ts';
import { parseImageRef } from '../../src/dockerfile/bases.ts';
import { DistillError } from '../../src/util/errors.ts';

const D = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** reference, splitImage's [name, tag, digest], canonical form (null: not a valid registry reference). */
const TABLE: [string, [string, string | null, string | null], string | null][] = [
  ['node:20-slim', ['node', '20-slim', null], 'docker.io/library/node:20-slim'],
  ['node', ['node', null, null], 'docker.io/library/node:latest'],
  [`docker.io/library/node:20@${D}`, ['docker.io/library/node', '20', D], `docker.io/library/node:20@${D}`],
  [`python@${D}`, ['python', null, D], `docker.io/library/python@${D}`],
  ['docker.io/node:22', ['docker.io/node', '22', null], 'docker.io/library/node:22'],
  ['index.docker.io/library/alpine:3.20', ['index.docker.io/library/alpine', '3.20', null], 'docker.io/library/alpine:3.20'],
  ['localhost:5000/team/app', ['localhost:5000/team/app', null, null], 'localhost:5000/team/app:latest'],
  ['localhost:5000/team/app:1.0', ['localhost:5000/team/app', '1.0', null], 'localhost:5000/team/app:1.0'],
  ['127.0.0.1:5000/app:1', ['127.0.0.1:5000/app', '1', null], '127.0.0.1:5000/app:1'],
  ['[::1]:5000/app:1', ['[::1]:5000/app', '1', null], '[::1]:5000/app:1'],
  ['gcr.io/distroless/nodejs22-debian12:nonroot', ['gcr.io/distroless/nodejs22-debian12', 'nonroot', null], 'gcr.io/distroless/nodejs22-debian12:nonroot'],
  ['cgr.dev/chainguard/node:latest-dev', ['cgr.dev/chainguard/node', 'latest-dev', null], 'cgr.dev/chainguard/node:latest-dev'],
  ['registry.access.redhat.com/ubi9/ubi-micro', ['registry.access.redhat.com/ubi9/ubi-micro', null, null], 'registry.access.redhat.com/ubi9/ubi-micro:latest'],
  ['ubuntu/dotnet-runtime:8.0_edge', ['ubuntu/dotnet-runtime', '8.0_edge', null], 'docker.io/ubuntu/dotnet-runtime:8.0_edge'],
  ['mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled', ['mcr.microsoft.com/dotnet/runtime-deps', '8.0-noble-chiseled', null], 'mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled'],
  // Docker reads a port-like suffix without a slash as a tag, and so do we.
  ['myhost:5000', ['myhost', '5000', null], 'docker.io/library/myhost:5000'],
  // Unresolved Dockerfile text: split as written, never a registry reference.
  ['${REGISTRY}/app:$TAG', ['${REGISTRY}/app', '$TAG', null], null],
  ['$BASE_IMAGE', ['$BASE_IMAGE', null, null], null],
  ['${BASE:-node}:${VERSION}', ['${BASE:-node}', '${VERSION}', null], null],
  // Uppercase and hostile input.
  ['NODE:20', ['NODE', '20', null], null],
  ['Registry.Example.com/app:1', ['Registry.Example.com/app', '1', null], 'Registry.Example.com/app:1'],
  ['registry.example.com/App:1', ['registry.example.com/App', '1', null], null],
  ['node:', ['node', '', null], null],
  ['node@', ['node', null, ''], null],
  ['node:20:21', ['node:20', '21', null], null],
  ['a@b@c', ['a', null, 'b@c'], null],
  ['node@sha256:1234', ['node', null, 'sha256:1234'], null],
  ['../../etc/passwd', ['../../etc/passwd', null, null], null],
  ['app:1\u001b[31m', ['app', '1\u001b[31m', null], null],
  [' node:20 ', [' node', '20 ', null], null],
  ['', ['', null, null], null],
];

test('splitImage: name, tag and digest exactly as written, and they put the reference back together', () => {
  for (const [ref, [name, tag, digest]] of TABLE) {
    const got = splitImage(ref);
    assert.deepEqual(got, { name, tag, digest }, ref);
    assert.equal(got.name + (got.tag === null ? '' : `:${got.tag}`) + (got.digest === null ? '' : `@${got.digest}`), ref, ref);
  }
});

test('normalizeImageRef and formatDockerRef: the canonical registry form, Docker Hub filled in, or null', () => {
  for (const [ref, , canonical] of TABLE) {
    const r = normalizeImageRef(ref);
    assert.equal(r === null ? null : formatDockerRef(r), canonical, ref);
    // The canonical form is a fixed point: parsing it again changes nothing.
    if (r) assert.deepEqual(parseDockerRef(formatDockerRef(r)), r, ref);
  }
  assert.deepEqual(normalizeImageRef('docker://alpine'), { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' });
});

test('parseDockerRef: accepts what normalizeImageRef accepts, and otherwise says what is wrong with the input', () => {
  for (const [ref, , canonical] of TABLE) {
    if (canonical) assert.equal(formatDockerRef(parseDockerRef(ref)), canonical, ref);
    else assert.throws(() => parseDockerRef(ref), (e: unknown) => e instanceof DistillError && e.input === ref, ref);
  }
  const why = (ref: string): string => {
    try {
      parseDockerRef(ref);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  assert.match(why('${REGISTRY}/app:$TAG'), /invalid tag "\$TAG"/);
  assert.match(why('${REGISTRY}/app'), /invalid repository name component "\$\{REGISTRY\}"/);
  assert.match(why('NODE:20'), /invalid repository name component "NODE"/);
  assert.match(why('node@sha256:1234'), /invalid digest "sha256:1234"/);
  assert.match(why('reg_istry.example:5000/app'), /invalid registry host "reg_istry.example:5000"/);
  assert.match(why(''), /empty registry reference/);
});

test('hostile lengths are answered at once, not backtracked over', () => {
  const long = `${'a'.repeat(200_000)}!/${'b-'.repeat(100_000)}:${'c'.repeat(200_000)}`;
  const started = process.hrtime.bigint();
  assert.equal(splitImage(long).tag, 'c'.repeat(200_000));
  assert.equal(normalizeImageRef(long), null);
  assert.equal(normalizeImageRef(`${'a.'.repeat(100_000)}-/app`), null);
  assert.ok(process.hrtime.bigint() - started < 1_000_000_000n, 'took over a second');
});

test("the Dockerfile model's parseImageRef: the same split, trimmed, an empty tag or digest being none", () => {
  for (const [ref, [name, tag, digest]] of TABLE) {
    if (ref !== ref.trim()) continue;
    assert.deepEqual(parseImageRef(ref), { name, tag: tag || null, digest: digest || null }, ref);
  }
  assert.deepEqual(parseImageRef('  node:20 \n'), { name: 'node', tag: '20', digest: null });
});
