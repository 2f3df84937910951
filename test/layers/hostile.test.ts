/**
 * The hostile corpus end to end: for each case, the library and the real CLI (`distill export`,
 * `distill inspect`) either refuse with one line naming the input and exit 2 (3 when the refusal
 * is E_REFUSED, with the case's code in inspect's --json error), or succeed — and in
 * every case nothing appears anywhere in the sandbox outside the export target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hostileCorpus } from '../fixtures/hostile/corpus.ts';
import { writeLayoutByHand } from './helpers.ts';
import { readLayout } from '../../src/oci/transports/layout.ts';
import { extractImage } from '../../src/layers/extract.ts';
import { inspectImage } from '../../src/inspect/inspect.ts';
import { defaultExitCode, DistillError } from '../../src/util/errors.ts';
import { runDistill } from '../helpers/cli.ts';
import { tempDir } from '../helpers/images.ts';

/** Every path under `root`, relative, except those under `skip`. */
function listAll(root: string, skip: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (p === skip) continue;
      out.push(relative(root, p));
      if (lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

const cases = hostileCorpus('/OUTSIDE');
test('the corpus has at least 15 refusals', () => {
  assert.ok(cases.filter((c) => c.expect !== 'ok').length >= 15);
});

for (const c of hostileCorpus('/placeholder')) {
  test(`hostile: ${c.name}`, async () => {
    const sandbox = tempDir();
    const outside = join(sandbox, 'outside');
    mkdirSync(outside);
    const kase = hostileCorpus(outside).find((k) => k.name === c.name)!;
    const layout = join(sandbox, 'layout');
    writeLayoutByHand(layout, 't', kase.spec);
    const work = join(sandbox, 'work');
    mkdirSync(work);
    const ref = `oci:${layout}:t`;

    // Library: extraction refuses with a DistillError naming the image or a layer.
    const libOut = join(work, 'lib');
    // Opening counts as part of the library call: garbage manifests fail there.
    const lib = () => readLayout(layout, { tag: 't' }).then((img) => extractImage(img, libOut));
    const ins = () => readLayout(layout, { tag: 't' }).then((img) => inspectImage(img));
    if (kase.expect === 'ok') {
      await lib();
      await ins();
    } else {
      await assert.rejects(lib(), (e: unknown) => {
        return (
          e instanceof DistillError &&
          (e.input.startsWith('layer sha256:') || e.input.includes(layout)) &&
          kase.message!.test(e.message + e.input) &&
          (!kase.code || e.code === kase.code)
        );
      });
      assert.equal(existsSync(libOut), false, 'a failed export leaves no target behind');
      if (kase.expect === 'error') await assert.rejects(ins(), DistillError);
      else assert.ok((await ins()).warnings.length > 0, 'inspect warns about paths through symlinks');
    }

    // CLI: exit 2 (3 refused) with exactly one line naming the input, or success.
    const exit = kase.code ? defaultExitCode(kase.code) : 2;
    const out = join(work, 'out');
    const [ex, insp] = await Promise.all([runDistill(['export', ref, out]), runDistill(['inspect', '--json', ref])]);
    if (kase.expect === 'ok') {
      assert.equal(ex.code, 0, ex.stderr);
      assert.equal(insp.code, 0, insp.stderr);
      for (const [p, want] of Object.entries(kase.files ?? {})) {
        const abs = join(out, p);
        if (want === false) assert.equal(existsSync(abs), false, p);
        else if (want === true) assert.ok(lstatSync(abs).isSymbolicLink(), p);
        else assert.equal(readFileSync(abs, 'utf8'), want, p);
      }
    } else {
      assert.equal(ex.code, exit, ex.stderr);
      const lines = ex.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, ex.stderr);
      assert.match(lines[0]!, new RegExp(`^distill: (oci:${layout.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|layer sha256:)`));
      assert.match(lines[0]!, kase.message!);
      assert.equal(existsSync(out), false);
      if (kase.expect === 'error') {
        assert.equal(insp.code, exit, insp.stderr);
        assert.equal(insp.stderr.trimEnd().split('\n').length, 1, insp.stderr);
        assert.equal(insp.stdout.trimEnd().split('\n').length, 1, 'stdout: the one JSON error object');
        const reported = (JSON.parse(insp.stdout) as { error: { code: string } }).error.code;
        if (kase.code) assert.equal(reported, kase.code);
        else assert.ok(!['E_REFUSED', 'E_INTERNAL'].includes(reported), `${reported} for a case that is not a refusal`);
      } else assert.equal(insp.code, 0, insp.stderr);
    }
    // Nothing anywhere in the sandbox outside the targets: the outside dir stays empty, and
    // work holds only the export targets (no temp dirs left behind).
    assert.deepEqual(readdirSync(outside), []);
    const left = listAll(work, '').filter((p) => !p.startsWith('lib') && !p.startsWith('out'));
    assert.deepEqual(left, []);
    assert.deepEqual(readdirSync(sandbox).sort(), ['layout', 'outside', 'work']);
  });
}
