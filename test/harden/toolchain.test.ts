import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeProblem, toolchainFacts, toolchainProblems, type ToolchainFacts } from '../../src/harden/toolchain.ts';
import { harden, parseAlso } from '../../src/harden/index.ts';

const facts: ToolchainFacts = { go: 'go1.22.2', javac: 17, rustc: '1.63.0', nodeMajor: 22, python: '3.11', jre: 17 };

function app(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'distill-toolchain-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

test('go.mod needing a newer Go than the host has is named with the fix; an older or equal one is fine', () => {
  const [p] = toolchainProblems(app({ 'go.mod': 'module example.com/api\n\ngo 1.25\n\ntoolchain go1.25.1\n' }), 'go', facts);
  assert.ok(p);
  assert.equal(describeProblem(p), 'the app needs go 1.25 (go.mod), but has go1.22.2 on this host: install Go 1.25 or newer, or pass --artifact with a binary built elsewhere');
  assert.equal(p.severity, 'error', 'Go 1.21 and later refuse a newer go line');
  assert.deepEqual(toolchainProblems(app({ 'go.mod': 'module m\n\ngo 1.22\n' }), 'go', facts), []);
  // Before 1.21 the line was advisory: go1.19 may still build a go 1.22 module, so it is only a warning.
  const [old] = toolchainProblems(app({ 'go.mod': 'module m\n\ngo 1.22\n' }), 'go', { ...facts, go: 'go1.19.8' });
  assert.equal(old?.severity, 'warning');
  assert.match(describeProblem(old!), /go1\.19\.8 on this host, which treats the line as advisory/);
  assert.deepEqual(toolchainProblems(app({ 'go.mod': 'module m\n\ngo 1.25\n' }), 'go', facts, { artifact: true }), [], 'a prebuilt binary needs no host Go');
});

test('engines.node that excludes the base\'s Node major suggests --node', () => {
  const pkg = (node: string) => JSON.stringify({ name: 'web', engines: { node } });
  const [p] = toolchainProblems(app({ 'package.json': pkg('>=24') }), 'node', facts);
  assert.equal(p?.fix, 'pass --node 24');
  assert.deepEqual(toolchainProblems(app({ 'package.json': pkg('^20 || ^22') }), 'node', facts), []);
  assert.deepEqual(toolchainProblems(app({ 'package.json': '{"engines":{"node":"not a range"}}' }), 'node', facts), [], 'an unreadable range is not a claim');
});

test('requires-python the python3 base cannot meet; ranges it can meet pass', () => {
  const py = (spec: string) => app({ 'pyproject.toml': `[project]\nname = "svc"\nrequires-python = "${spec}"\n` });
  assert.match(describeProblem(toolchainProblems(py('>=3.12'), 'python', facts)[0]!), /needs Python >=3\.12 .* Python 3\.11 in the python3 base/);
  assert.deepEqual(toolchainProblems(py('>=3.9,<3.13'), 'python', facts), []);
  assert.deepEqual(toolchainProblems(py('~=3.11'), 'python', facts), []);
});

test('a Java release above the host JDK or the java base is named; Gradle toolchains are read too', () => {
  const pom = '<project><properties><maven.compiler.release>21</maven.compiler.release></properties></project>';
  assert.match(describeProblem(toolchainProblems(app({ 'pom.xml': pom }), 'java', facts)[0]!), /Java 21 \(pom\.xml\), but has javac 17 on this host/);
  const gradle = 'java {\n  toolchain {\n    languageVersion = JavaLanguageVersion.of(21)\n  }\n}\n';
  assert.match(describeProblem(toolchainProblems(app({ 'build.gradle': gradle }), 'java', { ...facts, javac: 21 })[0]!), /Java 17 in the java base/);
  assert.deepEqual(toolchainProblems(app({ 'pom.xml': pom.replace('21', '17') }), 'java', facts), []);
});

test('Cargo rust-version above the host rustc', () => {
  const [p] = toolchainProblems(app({ 'Cargo.toml': '[package]\nname = "svc"\nversion = "0.1.0"\nrust-version = "1.80"\n' }), 'rust', facts);
  assert.equal(p?.has, 'rustc 1.63.0 on this host');
});

test('this host\'s facts: the bases\' Python and Java come from their package lists', () => {
  const f = toolchainFacts(22);
  assert.match(f.python, /^3\.\d+$/);
  assert.ok(f.jre >= 11, `java base runtime ${f.jre}`);
});

test('harden stops at once, exit 2 with code E_TOOLCHAIN, when engines.node excludes the base\'s Node', async () => {
  const dir = app({ 'package.json': JSON.stringify({ name: 'web', engines: { node: '>=99' } }), 'server.js': '', Dockerfile: 'FROM node:22\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n' });
  const t0 = Date.now();
  await assert.rejects(harden({ appDir: dir, out: join(dir, 'out'), verify: false }), (e: Error & { code?: string; exitCode?: number }) => {
    assert.equal(e.code, 'E_TOOLCHAIN');
    assert.equal(e.exitCode, 2);
    assert.match(e.message, /node >=99 \(package\.json engines\).*pass --node 99/);
    return true;
  });
  assert.ok(Date.now() - t0 < 20_000, 'before any image is built');
});

test('--also takes LABEL=REF or a bare reference labelled by its name', () => {
  assert.deepEqual(parseAlso('alpine=podman:localhost/app:alpine'), { label: 'alpine', reference: 'podman:localhost/app:alpine' });
  assert.deepEqual(parseAlso('oci:/tmp/images:slim'), { label: 'images:slim', reference: 'oci:/tmp/images:slim' });
});
