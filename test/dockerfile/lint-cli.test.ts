/** distill lint through the real binary: formats, --fail-on, ignores, config file, stdin, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'distill-lint-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const ROOTY = 'FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y curl\nCOPY . .\nCMD ["/app"]\n';
const CLEAN = `FROM gcr.io/distroless/static-debian12:nonroot@sha256:${'a'.repeat(64)}\nCOPY app /app\nUSER 65532:65532\nENTRYPOINT ["/app"]\n`;

test('text output: file:line RULE severity message, summary, exit 1 on an error finding', async () => {
  const d = dir({ Dockerfile: ROOTY });
  const r = await runDistill(['lint', 'Dockerfile'], { cwd: d });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^Dockerfile:1 DL1001 error the final stage sets no USER/);
  assert.ok(lines.some((l) => /^Dockerfile:2 DL1060 warning /.test(l)));
  // No .dockerignore beside the Dockerfile: the whole-context COPY is reported.
  assert.ok(lines.some((l) => /^Dockerfile:3 DL1082 warning /.test(l)));
  assert.match(lines[lines.length - 1]!, /^1 error\(s\), \d+ warning\(s\), \d+ info in 1 file\(s\)$/);
  assert.ok(!r.stdout.includes('\u001b['), 'no colour when not a terminal');
  writeFileSync(join(d, '.dockerignore'), '.git\n');
  const again = await runDistill(['lint', 'Dockerfile'], { cwd: d });
  assert.doesNotMatch(again.stdout, /DL1082/);
});

test('--fail-on: error by default, warning/info lower the bar, none never fails', async () => {
  const d = dir({ Dockerfile: `FROM debian:12@sha256:${'a'.repeat(64)}\nUSER 1000\nRUN apt-get install -y --no-install-recommends x && rm -rf /var/lib/apt/lists/*\nEXPOSE 22\n`, 'clean.Dockerfile': CLEAN });
  assert.equal((await runDistill(['lint', 'Dockerfile'], { cwd: d })).code, 0);
  assert.equal((await runDistill(['lint', '--fail-on', 'warning', 'Dockerfile'], { cwd: d })).code, 1);
  assert.equal((await runDistill(['lint', '--fail-on', 'none', '--format', 'json', 'Dockerfile'], { cwd: d })).code, 0);
  const clean = await runDistill(['lint', '--fail-on', 'info', 'clean.Dockerfile'], { cwd: d });
  assert.equal(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /no findings in 1 file/);
  assert.equal((await runDistill(['lint', '--fail-on', 'bogus', 'Dockerfile'], { cwd: d })).code, 2);
});

test('--json: stable schema over several files, stdin as -', async () => {
  const d = dir({ 'a.Dockerfile': ROOTY, 'b.Dockerfile': CLEAN });
  const r = await runDistill(['lint', '--json', 'a.Dockerfile', 'b.Dockerfile', '-'], { cwd: d, input: 'FROM alpine:latest\nUSER 0:0\n' });
  assert.equal(r.code, 1);
  const j = JSON.parse(r.stdout) as { files: string[]; findings: { file: string; line: number; rule: string; severity: string; message: string; fix: string }[]; summary: Record<string, number> };
  assert.deepEqual(j.files, ['a.Dockerfile', 'b.Dockerfile', '-']);
  assert.deepEqual([...new Set(j.findings.map((f) => f.file))], ['a.Dockerfile', '-']);
  const stdin = j.findings.filter((f) => f.file === '-');
  assert.deepEqual(stdin.map((f) => [f.line, f.rule]), [[1, 'DL1003'], [1, 'DL1011'], [2, 'DL1001']]);
  for (const f of j.findings) assert.deepEqual(Object.keys(f).sort(), ['file', 'fix', 'line', 'message', 'rule', 'severity']);
  assert.equal(j.summary.error, j.findings.filter((f) => f.severity === 'error').length);
});

test('ignores from --ignore, .distill.yaml, --config and inline comments', async () => {
  const d = dir({ Dockerfile: 'FROM ubuntu:24.04\n# distill-ignore DL1060\nRUN apt-get update && apt-get install -y x\nUSER root\n', '.dockerignore': '.git\n' });
  const rules = async (args: string[]) => new Set((JSON.parse((await runDistill(['lint', '--json', ...args, 'Dockerfile'], { cwd: d })).stdout) as { findings: { rule: string }[] }).findings.map((f) => f.rule));
  const base = await rules([]);
  assert.ok(base.has('DL1001') && base.has('DL1061') && !base.has('DL1060'));
  assert.ok(!(await rules(['--ignore', 'DL1001,dl1061'])).has('DL1001'));
  assert.ok((await rules(['--no-inline-ignore'])).has('DL1060'));
  writeFileSync(join(d, '.distill.yaml'), 'lint:\n  ignore: [DL1001]\n');
  const withCfg = await rules([]);
  assert.ok(!withCfg.has('DL1001') && withCfg.has('DL1061'));
  writeFileSync(join(d, 'other.yaml'), 'ignore:\n  - DL1061\n');
  const other = await rules(['--config', 'other.yaml']);
  assert.ok(other.has('DL1001') && !other.has('DL1061'));
  writeFileSync(join(d, 'bad.yaml'), 'ignore: [DL9999]\n');
  const bad = await runDistill(['lint', '--config', 'bad.yaml', 'Dockerfile'], { cwd: d });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^distill: bad\.yaml: unknown rule id\(s\) in ignore: DL9999\n$/);
});

test('a missing file is a one-line input error with exit 2; --target picks the final stage', async () => {
  const d = dir({ Dockerfile: 'FROM debian:12 AS build\nRUN make\nFROM gcr.io/distroless/static-debian12:nonroot AS prod\nCOPY --from=build /a /a\nUSER 65532\n' });
  const r = await runDistill(['lint', 'nope/Dockerfile'], { cwd: d });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'distill: nope/Dockerfile: no such file\n');
  assert.equal((await runDistill(['lint', 'Dockerfile'], { cwd: d })).code, 0);
  const t = await runDistill(['lint', '--target', 'build', 'Dockerfile'], { cwd: d });
  assert.equal(t.code, 1);
  assert.match(t.stdout, /Dockerfile:1 DL1001 error/);
  const q = await runDistill(['lint', '--quiet', '--target', 'build', 'Dockerfile'], { cwd: d });
  assert.deepEqual([q.code, q.stdout], [1, '']);
  const bad = await runDistill(['lint', '--target', 'nope', 'Dockerfile'], { cwd: d });
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'distill: Dockerfile: --target nope: no such stage (stages: build, prod)\n');
  // A directory stands for the Dockerfile inside it; findings name that file.
  const byDir = await runDistill(['lint', '--json', '--target', 'build', '.'], { cwd: d });
  assert.deepEqual([...new Set((JSON.parse(byDir.stdout) as { findings: { file: string }[] }).findings.map((f) => f.file))], ['Dockerfile']);
  const empty = await runDistill(['lint', dir({})], { cwd: d });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /is a directory without a Dockerfile or Containerfile/);
});

test('empty, binary and FROM-less inputs exit 2 with one line naming the file, from a path or stdin', async () => {
  const d = mkdtempSync(join(tmpdir(), 'distill-lint-bad-'));
  writeFileSync(join(d, 'empty.Dockerfile'), '');
  writeFileSync(join(d, 'notes.Dockerfile'), '# TODO: write the Dockerfile\nRUN make\n');
  writeFileSync(join(d, 'app.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x46, 0x52, 0x4f, 0x4d]));
  writeFileSync(join(d, 'latin1.Dockerfile'), Buffer.from('FROM debian:12\nLABEL a="caf\xe9"\n', 'latin1'));
  const expect: [string, RegExp][] = [
    ['empty.Dockerfile', /^distill: empty\.Dockerfile: is empty: not a Dockerfile\n$/],
    ['notes.Dockerfile', /^distill: notes\.Dockerfile: has no FROM instruction: not a Dockerfile\n$/],
    ['app.bin', /^distill: app\.bin: is not a text file \(it contains NUL bytes\)\n$/],
    ['latin1.Dockerfile', /^distill: latin1\.Dockerfile: is not a text file \(not valid UTF-8\)\n$/],
  ];
  for (const [file, want] of expect) {
    const r = await runDistill(['lint', file], { cwd: d });
    assert.equal(r.code, 2, `${file}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.equal(r.stdout, '');
  }
  const j = await runDistill(['lint', '--json', 'empty.Dockerfile'], { cwd: d });
  assert.equal(j.code, 2);
  assert.deepEqual((JSON.parse(j.stdout) as { error: { code: string; input: string } }).error.code, 'E_INPUT');
  const stdin = await runDistill(['lint', '-'], { cwd: d, input: '\n\n' });
  assert.deepEqual([stdin.code, stdin.stderr], [2, 'distill: -: is empty: not a Dockerfile\n']);
});
