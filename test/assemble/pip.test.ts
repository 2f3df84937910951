/** What pip is asked to install: pins read from each file format, and the flags that keep wheels to the base's Python. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRequirements, pipArgs, pipfileLockPins, poetryConstraint, poetryLockPins, skippedWheels, uvLockPins } from '../../src/assemble/pip.ts';
import { mavenRuntimeDeps } from '../../src/assemble/java.ts';
import { cargoFlags } from '../../src/assemble/rust.ts';
import { tempDir } from '../helpers/images.ts';

const H = (c: string) => `sha256:${c.repeat(64)}`;

test('poetry constraints become PEP 440 ranges', () => {
  assert.equal(poetryConstraint('^2.3'), '>=2.3,<3.0');
  assert.equal(poetryConstraint('^0.4.1'), '>=0.4.1,<0.5');
  assert.equal(poetryConstraint('~1.2'), '>=1.2,<1.3');
  assert.equal(poetryConstraint('*'), '');
  assert.equal(poetryConstraint('2.0.1'), '==2.0.1');
});

test('poetry.lock: only what the main dependencies reach, pinned with their hashes', () => {
  const pyproject = '[tool.poetry.dependencies]\npython = "^3.11"\nflask = "^3.0"\n\n[tool.poetry.group.dev.dependencies]\npytest = "^8"\n';
  const lock = `[[package]]\nname = "flask"\nversion = "3.0.0"\nfiles = [\n    {file = "flask-3.0.0-py3-none-any.whl", hash = "${H('a')}"},\n]\n\n[package.dependencies]\nWerkzeug = ">=3.0"\n\n[[package]]\nname = "pytest"\nversion = "8.0.0"\nfiles = [\n    {file = "pytest-8.0.0-py3-none-any.whl", hash = "${H('b')}"},\n]\n\n[[package]]\nname = "werkzeug"\nversion = "3.0.1"\nfiles = [\n    {file = "werkzeug-3.0.1-py3-none-any.whl", hash = "${H('c')}"},\n]\n`;
  assert.deepEqual(poetryLockPins(lock, pyproject), [`flask==3.0.0 --hash=${H('a')}`, `werkzeug==3.0.1 --hash=${H('c')}`]);
});

test('uv.lock: the project itself and its dev dependencies stay out', () => {
  const lock = `version = 1\n\n[[package]]\nname = "svc"\nversion = "0.1.0"\nsource = { editable = "." }\ndependencies = [\n    { name = "greeting" },\n]\n\n[package.dev-dependencies]\ndev = [\n    { name = "pytest" },\n]\n\n[[package]]\nname = "greeting"\nversion = "1.2.0"\nsource = { registry = "https://pypi.org/simple" }\nwheels = [\n    { url = "https://x/greeting-1.2.0-py3-none-any.whl", hash = "${H('d')}" },\n]\n\n[[package]]\nname = "pytest"\nversion = "8.0.0"\nsource = { registry = "https://pypi.org/simple" }\n`;
  assert.deepEqual(uvLockPins(lock, ''), [`greeting==1.2.0 --hash=${H('d')}`]);
});

test('Pipfile.lock: the default section with hashes and markers, develop left out', () => {
  const lock = JSON.stringify({ default: { requests: { version: '==2.31.0', hashes: [H('e')], markers: "python_version >= '3.7'" } }, develop: { pytest: { version: '==8.0.0' } } });
  assert.deepEqual(pipfileLockPins(lock), [`requests==2.31.0 ; python_version >= '3.7' --hash=${H('e')}`]);
});

test('requirements.txt is handed to pip as written; hashes turn on --require-hashes; pyproject PEP 621 arrays span lines', () => {
  const app = tempDir('distill-pip-');
  const work = join(app, 'work');
  mkdirSync(work);
  writeFileSync(join(app, 'requirements.txt'), `flask==3.0.0 \\\n    --hash=${H('a')}\n`);
  const r = findRequirements(app, work)!;
  assert.equal(r.file, join(app, 'requirements.txt'));
  assert.deepEqual(r.names, ['flask']);
  assert.ok(r.hashed);
  const args = pipArgs({ reqs: r, target: '/t', pythonVersion: '3.13', arch: 'arm64', opts: { indexUrl: 'http://127.0.0.1:1/simple/' }, cwd: app }, true);
  for (const a of ['--require-hashes', '--only-binary=:all:', '3.13', 'manylinux_2_36_aarch64', 'http://127.0.0.1:1/simple/']) assert.ok(args.includes(a), `${a} missing from ${args.join(' ')}`);
  const p = tempDir('distill-pip-');
  writeFileSync(join(p, 'pyproject.toml'), '[project]\nname = "x"\ndependencies = [\n  "Flask[async]>=2",  # web\n  \'gunicorn\',\n]\n\n[tool.other]\nx = 1\n');
  const q = findRequirements(p, p)!;
  assert.deepEqual(q.names, ['flask', 'gunicorn']);
  assert.equal(readFileSync(q.file, 'utf8'), 'Flask[async]>=2\ngunicorn\n');
  assert.equal(q.hashed, false);
});

test("pip's verbose log gives the skipped wheels and their tags", () => {
  const log = "  Skipping link: none of the wheel's tags (cp313-cp313-manylinux_2_36_x86_64) are compatible (run pip debug --verbose to show compatible tags): http://127.0.0.1:9/files/fastsum-0.1.0-cp313-cp313-manylinux_2_36_x86_64.whl#sha256=00 (from http://127.0.0.1:9/simple/fastsum/)\n";
  assert.deepEqual(skippedWheels(log), ['fastsum-0.1.0-cp313-cp313-manylinux_2_36_x86_64.whl (cp313-cp313-manylinux_2_36_x86_64)']);
});

test("maven's debug dependency tree gives the runtime classpath (test and provided scopes left out)", () => {
  const log = '[DEBUG] Using local repository at /r\n[DEBUG] Dependency collection stats {x=1}\n[DEBUG] demo:svc:jar:1.0\n[DEBUG]    a.b:c:jar:1.0:compile\n[DEBUG]       d.e:f:jar:2.0:runtime\n[DEBUG]    junit:junit:jar:4.13:test\n[DEBUG]    x.y:z:jar:linux:3.0:provided\n[INFO] \n';
  const r = mavenRuntimeDeps(log);
  assert.equal(r.localRepo, '/r');
  assert.deepEqual(r.deps.map((d) => `${d.group}:${d.artifact}:${d.version}`), ['a.b:c:1.0', 'd.e:f:2.0']);
});

test('cargo: --locked with a Cargo.lock, --offline only when asked or vendored', () => {
  const app = tempDir('distill-cargo-');
  assert.deepEqual(cargoFlags(app, false), []);
  writeFileSync(join(app, 'Cargo.lock'), 'version = 3\n');
  assert.deepEqual(cargoFlags(app, false), ['--locked']);
  assert.deepEqual(cargoFlags(app, true), ['--locked', '--offline']);
  mkdirSync(join(app, '.cargo'));
  writeFileSync(join(app, '.cargo', 'config.toml'), '[source.crates-io]\nreplace-with = "v"\n\n[source.v]\ndirectory = "vendor"\n');
  assert.deepEqual(cargoFlags(app, false), ['--locked', '--offline']);
});
