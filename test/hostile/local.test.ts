/**
 * The hostile corpus against the real CLI, local transports (layouts, archives, directories):
 * export, inspect, audit, sbom and copy. Every input is generated here. Each case asserts its exit
 * status, one `distill:` line with no stack trace, nothing written outside its target, no `.tmp`
 * left anywhere in the sandbox, and (bomb cases) a peak RSS under 300 MB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../src/oci/digest.ts';
import { dir, file, gzLayer, paxEntry, rawTar, symlink, writeLayoutByHand, type BlobLayerSpec, type LayoutSpec } from '../layers/helpers.ts';
import { gzipBomb, listTree, negativeSizeHeader, rewriteManifest, sandbox, smallLayer } from './build.ts';
import { assertOneLineFailure, hasRawControl, runMeasured, type MeasuredRun } from './run.ts';

const MB = 1024 * 1024;

interface Case {
  name: string;
  /** Writes the inputs into `work` and returns the arguments; `target` is where output may go. */
  setup(work: string, outside: string): { args: string[]; target?: string };
  /** Exit status wanted; 0 and 1 (and `json` failures) leave the output to `check`. */
  code: number;
  json?: boolean;
  message?: RegExp;
  bomb?: boolean;
  check?(r: MeasuredRun, work: string): void;
}

/** A layout at work/img tagged t; returns its reference. */
function layout(work: string, spec: LayoutSpec): string {
  writeLayoutByHand(join(work, 'img'), 't', spec);
  return `oci:${join(work, 'img')}:t`;
}

const one = (tar: Buffer): LayoutSpec => ({ layers: [gzLayer(tar)] });
const flipLast = (b: Buffer) => Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1]! ^ 1])]);

/** A layout whose only layer's stored bytes do not hash to its digest (same size). */
function corruptLayout(work: string): string {
  const good = smallLayer();
  return layout(work, { layers: [good], corrupt: new Map([[sha256(good.blob), flipLast(good.blob)]]) });
}

/** A layout whose layer descriptor claims `delta` bytes more (or fewer) than the blob has. */
function sizeLieLayout(work: string, delta: number): string {
  const ref = layout(work, { layers: [smallLayer()] });
  rewriteManifest(join(work, 'img'), (m) => {
    m.layers[0]!.size += delta;
  });
  return ref;
}

const bombLayer = (): BlobLayerSpec => gzipBomb(1200);
const paxBad = rawTar([paxEntry({ size: '12abc' }), file('a', 'x'.repeat(12))]);
const negSize = Buffer.concat([negativeSizeHeader('neg'), Buffer.alloc(1024)]);
const whDotDot = rawTar([dir('sub'), file('sub/.wh..')]);
const whDotDotDot = rawTar([dir('sub'), file('sub/.wh...')]);
const ESC_NAME = 'etc/\x1b]0;pwned\x07\x1b[2Jfile\rforged';

const cases: Case[] = [];
const transfers = ['oci-archive', 'oci', 'docker-archive'] as const;
const dest = (t: (typeof transfers)[number], work: string) => (t === 'oci' ? `oci:${join(work, 'out')}:t` : `${t}:${join(work, 'out.tar')}`);

// 1. Unhandled stream errors: a lying layout copied to every local transport.
for (const t of transfers) {
  cases.push({ name: `copy: digest mismatch -> ${t}`, code: 2, message: /digest mismatch|length check|incorrect/, setup: (w) => ({ args: ['copy', corruptLayout(w), dest(t, w)], target: join(w, t === 'oci' ? 'out' : 'out.tar') }) });
  cases.push({ name: `copy: descriptor size too small -> ${t}`, code: 2, message: /size/, setup: (w) => ({ args: ['copy', sizeLieLayout(w, -7), dest(t, w)], target: join(w, t === 'oci' ? 'out' : 'out.tar') }) });
  cases.push({ name: `copy: descriptor size too big -> ${t}`, code: 2, message: /size/, setup: (w) => ({ args: ['copy', sizeLieLayout(w, 7), dest(t, w)], target: join(w, t === 'oci' ? 'out' : 'out.tar') }) });
}
// 6. A destination under /proc (Node's recursive mkdir spins there).
cases.push({ name: 'copy: into oci:/proc/… returns at once', code: 2, message: /\/proc\/distill-hostile/, setup: (w) => ({ args: ['copy', layout(w, { layers: [smallLayer()] }), `oci:/proc/distill-hostile-${process.pid}/x:t`] }) });

// 8. Decompression bombs, on every reader.
for (const cmd of ['export', 'inspect', 'audit', 'sbom'] as const) {
  cases.push({
    name: `${cmd}: gzip bomb (1.2 GB from ~1 MB) is refused while streaming`,
    code: 3,
    bomb: true,
    message: /expands more than 100:1/,
    setup: (w) => ({ args: cmd === 'export' ? ['export', layout(w, { layers: [bombLayer()] }), join(w, 'rootfs')] : [cmd, layout(w, { layers: [bombLayer()] })], target: join(w, 'rootfs') }),
  });
}
cases.push({ name: 'export: --max-expansion lowers the total limit', code: 3, bomb: true, message: /expands past 1048576 bytes/, setup: (w) => ({ args: ['export', '--max-expansion', '1M', layout(w, { layers: [gzipBomb(8)] }), join(w, 'rootfs')], target: join(w, 'rootfs') }) });
cases.push({ name: 'inspect: --max-ratio raised lets a dense layer through', code: 0, setup: (w) => ({ args: ['inspect', '--max-ratio', '100000', '-q', layout(w, { layers: [gzipBomb(300, 'dense', { realDiffId: true })] })] }), check: (r) => assert.match(r.stdout, /Total/) });

// 10. Lax tar parsing and whiteouts.
for (const [what, tar, code, pattern] of [
  ['PAX size=12abc', paxBad, 2, /malformed size "12abc"/],
  ['base-256 size -1', negSize, 2, /malformed size \(negative base-256\)/],
  ['whiteout sub/.wh..', whDotDot, 2, /whiteout "sub\/\.wh\.\." names no file/],
  ['whiteout sub/.wh...', whDotDotDot, 2, /whiteout "sub\/\.wh\.\.\." names no file/],
] as const) {
  cases.push({ name: `export: ${what}`, code, message: pattern, setup: (w) => ({ args: ['export', layout(w, one(tar)), join(w, 'rootfs')], target: join(w, 'rootfs') }) });
  cases.push({ name: `inspect: ${what}`, code, message: pattern, setup: (w) => ({ args: ['inspect', layout(w, one(tar))] }) });
}
cases.push({ name: 'sbom: base-256 size -1', code: 2, message: /negative base-256/, setup: (w) => ({ args: ['sbom', layout(w, one(negSize))] }) });
cases.push({ name: 'audit: PAX size=12abc', code: 2, message: /12abc/, setup: (w) => ({ args: ['audit', layout(w, one(paxBad))] }) });
cases.push({
  name: 'export: opaque whiteout through a symlink is refused',
  code: 3,
  message: /opaque whiteout of sub goes through symlink/,
  setup: (w, outside) => ({ args: ['export', layout(w, { layers: [gzLayer(rawTar([symlink('sub', outside)])), gzLayer(rawTar([file('sub/.wh..wh..opq')]))] }), join(w, 'rootfs')], target: join(w, 'rootfs') }),
});
cases.push({
  name: 'copy: oci-archive whose own tar has PAX size=12abc',
  code: 2,
  message: /malformed PAX size "12abc"/,
  setup: (w) => {
    writeFileSync(join(w, 'a.tar'), rawTar([paxEntry({ size: '12abc' }), file('oci-layout', '{"imageLayoutVersion":"1.0.0"}')]));
    return { args: ['copy', `oci-archive:${join(w, 'a.tar')}`, `oci:${join(w, 'out')}:t`], target: join(w, 'out') };
  },
});
cases.push({
  name: 'inspect: oci-archive whose own tar has a negative base-256 size',
  code: 2,
  message: /negative base-256/,
  setup: (w) => {
    writeFileSync(join(w, 'a.tar'), negSize);
    return { args: ['inspect', `oci-archive:${join(w, 'a.tar')}`] };
  },
});

// 9. Validation gaps.
cases.push({ name: 'sbom: dir:/nonexistent', code: 2, message: /not a directory|no such/, setup: () => ({ args: ['sbom', `dir:/nonexistent-${process.pid}`] }) });
for (const [cmd, p] of [['export', 'linux'], ['inspect', '//'], ['sbom', 'linux/amd64/v8/x/y'], ['audit', 'linux/']] as const) {
  cases.push({ name: `${cmd}: --platform ${p} is refused`, code: 2, message: /platform must be os\/arch\[\/variant\]/, setup: (w) => ({ args: [cmd, '--platform', p, layout(w, { layers: [smallLayer()] }), ...(cmd === 'export' ? [join(w, 'rootfs')] : [])], target: join(w, 'rootfs') }) });
}
cases.push({ name: 'inspect: --platform linux/s390x on an amd64 image', code: 2, message: /is for linux\/amd64, not the linux\/s390x/, setup: (w) => ({ args: ['inspect', '--platform', 'linux/s390x', layout(w, { layers: [smallLayer()] })] }) });
cases.push({ name: 'audit: a mistyped transport (foo:bar) never reaches the network', code: 2, message: /not a known transport or registry host.*docker:\/\/foo:bar/, setup: () => ({ args: ['audit', 'foo:bar'] }) });
cases.push({ name: 'sbom: oic:DIR (typo of oci:) is refused', code: 2, message: /docker:\/\//, setup: (w) => ({ args: ['sbom', `oic:${w}`] }) });
cases.push({
  name: 'inspect --json: a failure is a JSON error object',
  code: 2,
  json: true,
  setup: () => ({ args: ['inspect', '--json', 'foo:bar'] }),
  check: (r) => {
    assert.match(r.stderr, /^distill: foo:bar: .+\n$/, 'stderr keeps the one line');
    const j = JSON.parse(r.stdout.trim()) as { error: { code: string; input: string; message: string } };
    assert.equal(j.error.code, 'E_USAGE');
    assert.equal(j.error.input, 'foo:bar');
  },
});

// Issue 19 item 11: audit and scan take dir:PATH as sbom does.
cases.push({
  name: 'audit: dir:PATH is audited like an image',
  code: 1,
  setup: (w) => {
    mkdirSync(join(w, 'root', 'bin'), { recursive: true });
    writeFileSync(join(w, 'root', 'bin', 'sh'), '#!', { mode: 0o755 });
    return { args: ['audit', '--json', `dir:${join(w, 'root')}`] };
  },
  check: (r) => assert.ok((JSON.parse(r.stdout) as { findings: { rule: string }[] }).findings.some((f) => f.rule === 'DA001'), r.stdout),
});
cases.push({ name: 'scan: dir:/nonexistent names the directory', code: 2, message: /dir:\/nonexistent-\d+: no such directory/, setup: () => ({ args: ['scan', `dir:/nonexistent-${process.pid}`] }) });

// 2. Terminal escapes in text output.
const escImage = (w: string) => layout(w, {
  layers: [gzLayer(rawTar([dir('etc'), file(ESC_NAME, 'x'.repeat(5000)), file('var/lib/dpkg/status', 'Package: ev\x1b[31mil\nStatus: install ok installed\nVersion: 1.0\x07\x1b[2J\nArchitecture: amd64\n\n')]))],
  config: { config: { Env: ['EVIL=\x1b]0;title\x07\x1b[2J', 'PATH=/bin'], User: '\x1b[2J', WorkingDir: '/\rforged' }, history: [{ created_by: 'RUN echo \x1b[31mred\r\nforged row' }] },
});
for (const cmd of ['inspect', 'audit', 'sbom'] as const) {
  cases.push({
    name: `${cmd}: control characters from the image are escaped in text output`,
    code: cmd === 'audit' ? 1 : 0,
    setup: (w) => ({ args: [cmd, escImage(w)] }),
    check: (r) => {
      assert.ok(!hasRawControl(r.stdout), `raw control character in:\n${JSON.stringify(r.stdout)}`);
      assert.ok(!hasRawControl(r.stderr), `raw control character in stderr: ${JSON.stringify(r.stderr)}`);
      assert.match(r.stdout, /\\x1b|\\u001b/);
    },
  });
}
cases.push({
  name: 'inspect: a reference with escape sequences is escaped in the error',
  code: 2,
  message: /\\x1b\[2J/,
  setup: (w) => ({ args: ['inspect', `oci:${join(w, 'no\x1b[2Jthere')}:t`] }),
  check: (r) => assert.ok(!hasRawControl(r.stderr)),
});

// 4. One masking function: what audit masks, inspect masks too.
const token = `ghp_${'A1b2C3d4'.repeat(5)}`;
const secretImage = (w: string) => layout(w, { layers: [smallLayer()], config: { config: { Env: [`GITHUB_TOKEN=${token}`, 'DB_PASSWORD=hunter2hunter2'] }, history: [{ created_by: `RUN export API_KEY=sk9f8e7d6c5b4a && curl -H "x: ${token}" x` }] } });
for (const json of [false, true]) {
  cases.push({
    name: `inspect${json ? ' --json' : ''}: ENV and history secrets are masked`,
    code: 0,
    setup: (w) => ({ args: ['inspect', ...(json ? ['--json'] : []), secretImage(w)] }),
    check: (r) => {
      for (const s of [token, 'hunter2hunter2', 'sk9f8e7d6c5b4a']) assert.ok(!r.stdout.includes(s), `${s} printed in full`);
      assert.ok(r.stdout.includes('ghp_…(44 chars)'), r.stdout);
    },
  });
}
cases.push({
  name: 'audit: the same secrets are flagged and masked',
  code: 1,
  setup: (w) => ({ args: ['audit', '--json', secretImage(w)] }),
  check: (r) => {
    assert.ok(!r.stdout.includes(token));
    assert.ok(r.stdout.includes('ghp_…(44 chars)'));
  },
});

test('the local hostile corpus has at least 40 cases', () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
});

for (const c of cases) {
  test(`hostile: ${c.name}`, async () => {
    const { root, work } = sandbox();
    const outside = join(root, 'outside');
    mkdirSync(outside);
    const { args, target } = c.setup(work, outside);
    const before = listTree(work);
    const r = await runMeasured(args);
    if (c.code === 0 || c.code === 1 || c.json) {
      assert.equal(r.code, c.code, `exit ${r.code}; stderr:\n${r.stderr}`);
      assert.ok(!/^ {4}at /m.test(r.stderr), 'stack trace');
    } else {
      assertOneLineFailure(r, c.code, c.message);
    }
    c.check?.(r, work);
    assert.deepEqual(listTree(outside), [], 'something was written outside the target');
    const after = listTree(root);
    assert.deepEqual(after.filter((p) => /\.tmp$|\.distill-/.test(p)), [], 'temp files left behind');
    // A failed run leaves its inputs as they were and no target behind.
    if (c.code >= 2) {
      const added = after.map((p) => p.replace(/^work\//, '')).filter((p) => p !== 'work' && p !== 'outside' && !before.includes(p));
      const allowed = (p: string) => target !== undefined && join(work, p).startsWith(target) && /(^|\/)(oci-layout|index\.json|blobs|blobs\/sha256)$|^out$/.test(p);
      assert.deepEqual(added.filter((p) => !allowed(p)), [], 'a failed run left files');
    }
    if (c.bomb) assert.ok(r.maxRss < 300 * MB, `peak RSS ${Math.round(r.maxRss / MB)} MB`);
  });
}


