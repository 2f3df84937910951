/**
 * The parts of `distill harden` that need no network: what it takes from the app's Dockerfile
 * (CMD for the traditional image, the HEALTHCHECK URL for the probe) and the apps it refuses,
 * with the reason, before any work is done.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromDockerfile, harden } from '../../src/harden/index.ts';
import { buildTraditional } from '../../src/harden/traditional.ts';
import { DistillError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/images.ts';

test('CMD in shell form runs under /bin/sh -c, exec form as written; the last stage wins', () => {
  assert.deepEqual(fromDockerfile('FROM python:3.13\nCMD python app.py\n').cmd, ['/bin/sh', '-c', 'python app.py']);
  assert.deepEqual(fromDockerfile('FROM golang:1.22 AS b\nCMD ["x"]\nFROM golang:1.22\nCMD ["/app/server", "-v"]\n').cmd, ['/app/server', '-v']);
  assert.equal(fromDockerfile('FROM node:22\n').cmd, undefined);
});

test('the probe is the URL the HEALTHCHECK curls, on loopback; without a HEALTHCHECK there is none', () => {
  assert.equal(fromDockerfile('FROM x\nHEALTHCHECK CMD curl -fsS http://localhost:3000/healthz || exit 1\n').probe, 'http://127.0.0.1:3000/healthz');
  assert.equal(fromDockerfile('FROM x\nHEALTHCHECK --interval=5s CMD ["wget", "-qO-", "http://127.0.0.1:9000/ready"]\n').probe, 'http://127.0.0.1:9000/ready');
  assert.equal(fromDockerfile('FROM x\nHEALTHCHECK CMD curl -f http://localhost:8081 || exit 1\n').probe, 'http://127.0.0.1:8081/');
  assert.equal(fromDockerfile('FROM x\nCMD ["a"]\n').probe, undefined);
  assert.equal(fromDockerfile('FROM x\nHEALTHCHECK CMD ["/app/server", "-check"]\n').probe, undefined);
});

test('unsupported runtimes, missing Dockerfiles, missing app directories and Maven builds are refused up front', async () => {
  const dotnet = tempDir('distill-harden-dotnet-');
  writeFileSync(join(dotnet, 'web.csproj'), '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n');
  writeFileSync(join(dotnet, 'Dockerfile'), 'FROM mcr.microsoft.com/dotnet/sdk:8.0\n');
  await assert.rejects(harden({ appDir: dotnet, out: join(dotnet, 'out'), verify: false }), (e: unknown) => e instanceof DistillError && /Node\.js, Python, Go, Java and Rust/.test(e.message) && /dotnet/.test(e.message));

  const maven = tempDir('distill-harden-maven-');
  writeFileSync(join(maven, 'pom.xml'), '<project/>\n');
  await assert.rejects(buildTraditional({ appDir: maven, runtime: 'java' }), (e: unknown) => e instanceof DistillError && /src\/main\/java/.test(e.message) && /--artifact/.test(e.message));

  const nodf = tempDir('distill-harden-nodf-');
  writeFileSync(join(nodf, 'go.mod'), 'module x\n\ngo 1.19\n');
  await assert.rejects(harden({ appDir: nodf, verify: false }), (e: unknown) => e instanceof DistillError && /no Dockerfile/.test(e.message));

  await assert.rejects(harden({ appDir: join(nodf, 'nope'), verify: false }), (e: unknown) => e instanceof DistillError && /no such directory/.test(e.message));
});
