/**
 * The convert corpus (test/fixtures/convert-corpus/): Dockerfiles written the way projects write
 * them, each with the result an expert expects in manifest.json — converted, review (written, a
 * person must check), refused with its class, or an input error. For every written output: the
 * final stage's base, the argv the container starts (the base's own ENTRYPOINT included), its
 * USER, no RUN in the final stage, no lint error, and an input that needs nothing comes back
 * byte for byte. Refusals write nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertDockerfile } from '../../src/dockerfile/convert/index.ts';
import { parseDockerfile } from '../../src/dockerfile/parse.ts';
import { lintDockerfile } from '../../src/dockerfile/lint.ts';
import { knownBaseOfRef } from '../../src/plan/providers.ts';
import { runDistill, ROOT } from '../helpers/cli.ts';

const CORPUS = join(ROOT, 'test', 'fixtures', 'convert-corpus');

interface Case {
  status: 'converted' | 'review' | 'refused' | 'error';
  language?: string;
  classes: number[];
  reason?: string;
  base?: string;
  start?: string[];
  user?: string | null;
  unchanged?: true;
}

const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { cases: Record<string, Case> };
const cases = Object.entries(manifest.cases);
const dirs = readdirSync(CORPUS).filter((d) => existsSync(join(CORPUS, d, 'Dockerfile'))).sort();

/** What the output's final stage starts and runs as, read back through the model. */
function finalOf(text: string): { base: string; start: string[]; user: string | null; runs: number } {
  const m = parseDockerfile(text);
  const fin = m.stages[m.stages.length - 1]!;
  const entry = fin.config.entrypoint ? (fin.config.entrypoint.exec ?? ['<shell form>']) : (knownBaseOfRef(fin.baseImage).entrypoint ?? []);
  const cmd = fin.config.cmd ? (fin.config.cmd.exec ?? ['<shell form>']) : [];
  return { base: fin.baseImage, start: [...entry, ...cmd], user: fin.config.user, runs: fin.instructions.filter((i) => i.keyword === 'RUN').length };
}

test('the corpus has at least 60 cases, one manifest entry per directory', () => {
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  assert.deepEqual(cases.map(([k]) => k).sort(), dirs);
});

test('every failure class of issue 15 and every language has at least four cases', () => {
  for (let c = 1; c <= 11; c++) assert.ok(cases.filter(([, v]) => v.classes.includes(c)).length >= 4, `class ${c}`);
  for (const l of ['node', 'python', 'go', 'java', 'rust', 'dotnet', 'cpp']) assert.ok(cases.filter(([, v]) => v.language === l).length >= 4, l);
  for (const s of ['converted', 'review', 'refused', 'error']) assert.ok(cases.some(([, v]) => v.status === s), s);
});

for (const [name, want] of cases) {
  test(`${name}: ${want.status}${want.reason ? ` (${want.reason})` : ''}`, () => {
    const dir = join(CORPUS, name);
    const input = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    if (want.status === 'error') {
      assert.throws(() => convertDockerfile(input, { context: dir }), /^Error: line \d+: (CMD|ENTRYPOINT) .* is not a valid JSON array/);
      return;
    }
    const r = convertDockerfile(input, { context: dir });
    assert.equal(r.status, want.status, `${r.refusal ?? ''} ${r.warnings.join(' | ')}`);
    if (want.status === 'review') assert.ok(r.warnings.length > 0, 'a review says what to check');
    if (want.status === 'converted') assert.deepEqual(r.warnings, []);
    if (want.language) assert.equal(r.language, want.language);
    if (want.status === 'refused') {
      assert.equal(r.refusalClass, want.reason);
      assert.equal(r.dockerfile, input, 'a refusal writes nothing new');
      assert.match(r.refusal ?? '', /\w+ \S+ \w+/, 'a refusal says why');
      return;
    }
    const fin = finalOf(r.dockerfile);
    assert.equal(fin.base, want.base);
    assert.equal(r.base, want.base);
    assert.deepEqual(fin.start, want.start);
    assert.equal(fin.user, want.user ?? null);
    assert.equal(fin.runs, 0, 'no RUN in the final stage');
    if (want.unchanged) assert.equal(r.dockerfile, input, 'an input that needs nothing comes back as it was');
    else assert.notEqual(r.dockerfile, input);
    // A converted output passes our own lint; a review may hold exactly what lint flags.
    const errors = lintDockerfile(r.dockerfile).filter((f) => f.severity === 'error');
    if (want.status === 'converted') assert.deepEqual(errors, [], errors.map((e) => `${e.rule} line ${e.line}: ${e.message}`).join('\n'));
    assert.equal(convertDockerfile(r.dockerfile, { context: dir }).dockerfile, r.dockerfile, 'converting the output again changes nothing');
  });
}

test('the CLI: a malformed JSON CMD is an input error on one line (exit 2); a refusal exits 3 and names its reason', async () => {
  const bad = await runDistill(['convert', join(CORPUS, 'node-malformed-cmd', 'Dockerfile')]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^distill: \S+Dockerfile: line 5: CMD \["node" "app\.js"\] is not a valid JSON array[^\n]*\n$/);
  const refused = await runDistill(['convert', '--json', join(CORPUS, 'go-rootfs-copy', 'Dockerfile')]);
  assert.equal(refused.code, 3);
  const j = JSON.parse(refused.stdout);
  assert.equal(j.status, 'refused');
  assert.equal(j.refusalClass, 'rootfs-copy');
});
