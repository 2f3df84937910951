/**
 * The ELF closure decides the base, and the image it gives runs: real programs built here (cgo Go
 * with Debian's golang-go + gcc, Rust with rustc, C++ with g++) are built with `distill build
 * --artifact` over `distill base` layouts and run under podman read-only with all capabilities
 * dropped. The cgo binary forced onto `static` is the counter-case: audit names the missing
 * libc.so.6 and the container does not start.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/images.ts';
import { podman } from '../helpers/podman.ts';
import { pullLayout } from '../helpers/containers.ts';
import { cgoProgram, cxxProgram, rustProgram } from '../needs/programs.ts';

const work = tempDir('distill-e2e-needs-run-');
const bases = join(work, 'bases');
const images: string[] = [];
const x64 = process.arch === 'x64';

before(async () => {
  for (const flavour of ['static', 'base', 'cc']) {
    const r = await runDistill(['base', flavour, '-o', join(bases, flavour), '--lock', join(ROOT, 'test-output', 'build-e2e-locks', `${flavour}.lock.json`), '--tags', 'nonroot', '-q']);
    assert.equal(r.code, 0, `distill base ${flavour}: ${r.stderr}`);
  }
});

after(async () => {
  for (const i of images) await podman(['rmi', '-f', i]);
});

/** Builds the binary into an image with `extra` base options; returns the layout ref and the build's JSON. */
async function build(name: string, bin: string, extra: string[]): Promise<{ ref: string; out: { base: { flavour: string } } }> {
  const ref = `oci:${join(work, name)}:test`;
  const r = await runDistill(['build', dirname(bin), '--artifact', bin, ...extra, '-o', ref, '--json'], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  assert.equal(r.code, 0, r.stderr);
  return { ref, out: JSON.parse(r.stdout) };
}

/** Runs the image once, hardened; returns its exit status and output. */
async function runOnce(ref: string): Promise<{ code: number; out: string }> {
  const id = await pullLayout(ref);
  images.push(id);
  const r = await podman(['run', '--rm', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', id], { timeoutMs: 120_000 });
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

const cases: { name: string; slug: string; program: () => string | undefined; flavour: string; prints: RegExp }[] = [
  { name: 'cgo Go', slug: 'cgo', program: cgoProgram, flavour: 'base', prints: /^pid \d+$/m },
  { name: 'Rust', slug: 'rust', program: () => rustProgram(false), flavour: 'cc', prints: /^sum 6$/m },
  { name: 'Rust +crt-static', slug: 'rust-static', program: () => rustProgram(true), flavour: 'static', prints: /^sum 6$/m },
  { name: 'C++', slug: 'cxx', program: cxxProgram, flavour: 'cc', prints: /^hello$/m },
];

for (const c of cases) {
  test(`${c.name}: the closure picks ${c.flavour} and the image runs`, { skip: x64 ? false : 'x86-64 host' }, async (t) => {
    const bin = c.program();
    if (!bin) return t.skip(`the toolchain for ${c.name} is missing`);
    const { ref, out } = await build(c.slug, bin, ['--base-dir', bases]);
    assert.equal(out.base.flavour, c.flavour);
    const r = await runOnce(ref);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, c.prints);
  });
}

test('the cgo binary forced onto static: audit names the missing libc.so.6 and the container does not start', { skip: x64 ? false : 'x86-64 host' }, async (t) => {
  const bin = cgoProgram();
  if (!bin) return t.skip('go and gcc are needed');
  const { ref } = await build('cgo-on-static', bin, ['--base', `oci:${join(bases, 'static')}:nonroot`]);
  const audit = await runDistill(['audit', ref, '--json']);
  const findings = (JSON.parse(audit.stdout) as { findings: { rule: string; message: string }[] }).findings;
  const missing = findings.filter((f) => f.rule === 'DA017');
  assert.ok(missing.length > 0, audit.stdout);
  assert.ok(missing.some((f) => /libc\.so\.6/.test(f.message)), JSON.stringify(missing));
  const r = await runOnce(ref);
  assert.notEqual(r.code, 0, 'without the loader and libc the program cannot start');
  assert.doesNotMatch(r.out, /^pid \d+$/m);
});
