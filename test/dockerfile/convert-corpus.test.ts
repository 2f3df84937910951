/**
 * The corpus: every Dockerfile under test/fixtures/dockerfiles converts; the output parses, its
 * final stage is on a distroless base with no RUN and USER 65532, our own lint finds no error in
 * it, and converting it again changes nothing. A few fixtures pin the whole output (expected.Dockerfile).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { convertDockerfile } from '../../src/dockerfile/convert/index.ts';
import { isDistrolessRef } from '../../src/plan/providers.ts';
import { lintDockerfile } from '../../src/dockerfile/lint.ts';
import { ROOT } from '../helpers/cli.ts';

const CORPUS = join(ROOT, 'test', 'fixtures', 'dockerfiles');
const fixtures = readdirSync(CORPUS).filter((d) => existsSync(join(CORPUS, d, 'Dockerfile'))).sort();

/** The final stage's FROM image and its instructions (keyword, argument text). */
function finalStage(text: string): { image: string; instrs: { keyword: string; args: string }[] } {
  const df = DockerfileParser.parse(text);
  const froms = df.getFROMs();
  assert.ok(froms.length > 0, 'output has a FROM');
  const last = froms[froms.length - 1]!;
  const instrs = df
    .getInstructions()
    .filter((i) => i.getRange().start.line > last.getRange().start.line)
    .map((i) => ({ keyword: i.getKeyword().toUpperCase(), args: i.getArgumentsContent() ?? '' }));
  return { image: last.getImage() ?? '', instrs };
}

test('the corpus has at least 40 Dockerfiles across every language', () => {
  assert.ok(fixtures.length >= 40, `${fixtures.length} fixtures`);
  const langs = new Set(fixtures.map((d) => convertDockerfile(readFileSync(join(CORPUS, d, 'Dockerfile'), 'utf8'), { context: join(CORPUS, d) }).language));
  for (const l of ['node', 'python', 'go', 'java', 'rust', 'dotnet', 'cpp']) assert.ok(langs.has(l as never), `no ${l} fixture`);
});

const PROVIDERS = [
  // provider, final base pattern, whether every fixture must convert (the others refuse runtimes they lack)
  ['google', /^gcr\.io\/distroless\/(static|base|cc|python3|nodejs\d+|java\d+)-debian13:nonroot$/, true],
  ['chainguard', /^cgr\.dev\/chainguard\/(static|glibc-dynamic|python|node|jre|dotnet-runtime|aspnet-runtime):latest$/, true],
  ['chiseled', /^(mcr\.microsoft\.com\/dotnet\/(runtime-deps|runtime|aspnet):\d+\.\d+-(noble|jammy)-chiseled|ubuntu\/(python|jre):[\w.-]+)$/, false],
  ['ubi-micro', /^registry\.access\.redhat\.com\/ubi9\/ubi-micro:9\.5$/, false],
  ['scratch', /^scratch$/, false],
] as const;

for (const [provider, pattern, all] of PROVIDERS) {
  for (const name of fixtures) {
    test(`${name} for ${provider}: distroless final stage, no RUN, numeric non-root USER, no lint errors, idempotent${all ? '' : ' (or a reasoned refusal)'}`, () => {
      const dir = join(CORPUS, name);
      const input = readFileSync(join(dir, 'Dockerfile'), 'utf8');
      const r = convertDockerfile(input, { provider, context: dir });
      if (!all && !r.converted) {
        assert.equal(r.dockerfile, input, 'a refusal leaves the input as it was');
        assert.match(r.warnings[0] ?? '', /\S{10}/, 'a refusal says why');
        return;
      }
      assert.equal(r.converted, true, r.warnings.join('; '));
      const inputFinal = finalStage(input).image;
      const fin = finalStage(r.dockerfile);
      if (isDistrolessRef(inputFinal)) assert.equal(fin.image, inputFinal, 'an already distroless final stage keeps its base');
      else assert.match(fin.image, pattern);
      assert.equal(r.base, fin.image);
      assert.deepEqual(fin.instrs.filter((i) => i.keyword === 'RUN'), [], 'no RUN in the final stage');
      const users = fin.instrs.filter((i) => i.keyword === 'USER');
      assert.match(users.at(-1)?.args ?? '', /^[1-9]\d*(:\d+)?$/, 'a numeric non-root USER');
      for (const i of fin.instrs) {
        if (i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT') assert.match(i.args, /^\[/, `${i.keyword} is exec form`);
        assert.notEqual(i.keyword, 'HEALTHCHECK', 'no shell HEALTHCHECK survives (the corpus has none in exec form)');
      }
      const finalText = r.dockerfile.slice(r.dockerfile.lastIndexOf('\nFROM ') + 1);
      // Code stays root-owned; an owner, where one is kept, is numeric (distroless has no passwd entry for names).
      for (const line of finalText.split('\n').filter((l) => /^(COPY|ADD)\s/.test(l))) assert.doesNotMatch(line, /--chown=(?!\d+(:\d+)?\s)/, 'owners by number');
      const errors = lintDockerfile(r.dockerfile).filter((f) => f.severity === 'error');
      assert.deepEqual(errors, [], errors.map((e) => `${e.rule} line ${e.line}: ${e.message}`).join('\n'));
      const again = convertDockerfile(r.dockerfile, { provider, context: dir });
      assert.equal(again.dockerfile, r.dockerfile, 'converting a converted file changes nothing');
    });
  }
}

test('the corpus exercises refusals: scratch and ubi-micro refuse interpreted runtimes', () => {
  for (const provider of ['scratch', 'ubi-micro'] as const) {
    const r = convertDockerfile(readFileSync(join(CORPUS, 'python-pip', 'Dockerfile'), 'utf8'), { provider, context: join(CORPUS, 'python-pip') });
    assert.equal(r.converted, false);
  }
});

for (const name of fixtures.filter((d) => existsSync(join(CORPUS, d, 'expected.Dockerfile')))) {
  test(`${name}: output matches expected.Dockerfile`, () => {
    const dir = join(CORPUS, name);
    const r = convertDockerfile(readFileSync(join(dir, 'Dockerfile'), 'utf8'), { context: dir });
    assert.equal(r.dockerfile, readFileSync(join(dir, 'expected.Dockerfile'), 'utf8'));
  });
}

test('at least four before/after golden pairs exist', () => {
  assert.ok(fixtures.filter((d) => existsSync(join(CORPUS, d, 'expected.Dockerfile'))).length >= 4);
});
