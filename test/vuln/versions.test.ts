/**
 * Version orderings per ecosystem: hand-written vectors from each ecosystem's documented rules,
 * and a differential test of rpm ordering against Debian's `rpm` (its Lua `rpm.vercmp`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemeFor, baseEcosystem, type VersionScheme } from '../../src/vuln/versions/index.ts';
import { compareRpmVersions, rpmvercmp } from '../../src/vuln/versions/rpm.ts';
import { normalizeGoVersion } from '../../src/vuln/versions/go.ts';
import { rng } from '../helpers/rng.ts';

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Asserts that `chain` is strictly increasing under `scheme`, pairwise in both directions. */
function assertAscending(scheme: VersionScheme, chain: string[]): void {
  for (let i = 0; i < chain.length; i++) {
    for (let j = i + 1; j < chain.length; j++) {
      assert.equal(sign(scheme.compare(chain[i]!, chain[j]!)), -1, `${scheme.name}: ${chain[i]} < ${chain[j]}`);
      assert.equal(sign(scheme.compare(chain[j]!, chain[i]!)), 1, `${scheme.name}: ${chain[j]} > ${chain[i]}`);
    }
  }
}

function assertEqualVersions(scheme: VersionScheme, pairs: [string, string][]): void {
  for (const [a, b] of pairs) assert.equal(scheme.compare(a, b), 0, `${scheme.name}: ${a} = ${b}`);
}

test('ecosystem names map to their orderings, releases stripped', () => {
  assert.equal(baseEcosystem('Debian:12'), 'Debian');
  assert.equal(schemeFor('Debian:12')?.name, 'dpkg');
  assert.equal(schemeFor('Ubuntu:22.04:LTS')?.name, 'dpkg');
  assert.equal(schemeFor('Alpine:v3.19')?.name, 'apk');
  assert.equal(schemeFor('Rocky Linux:9')?.name, 'rpm');
  assert.equal(schemeFor('npm')?.name, 'semver');
  assert.equal(schemeFor('crates.io')?.name, 'semver');
  assert.equal(schemeFor('PyPI')?.name, 'pep440');
  assert.equal(schemeFor('Go')?.name, 'go');
  assert.equal(schemeFor('Maven')?.name, 'maven');
  assert.equal(schemeFor('RubyGems')?.name, 'rubygems');
  assert.equal(schemeFor('NoSuchEcosystem'), undefined);
});

test('apk: numbers, letters, pre/post suffixes, revisions', () => {
  const apk = schemeFor('Alpine')!;
  assertAscending(apk, [
    '1.0_alpha',
    '1.0_alpha2',
    '1.0_beta',
    '1.0_pre1',
    '1.0_rc1',
    '1.0_rc2',
    '1.0',
    '1.0-r1',
    '1.0-r2',
    '1.0-r10',
    '1.0_p1',
    '1.0_p1-r1',
    '1.0a',
    '1.0b',
    '1.0.1',
    '1.1',
    '1.2.3',
    '1.10',
    '2.0_rc1',
    '2.0',
  ]);
  // Real Alpine package versions.
  assertAscending(apk, ['3.1.4-r1', '3.1.4-r5', '3.1.5-r0', '3.3.0-r0']);
  assertAscending(apk, ['1.36.1-r2', '1.36.1-r5', '1.36.1-r7', '1.37.0-r0']);
  assertAscending(apk, ['1.2.4_git20230717-r4', '1.2.4_git20230717-r5', '1.2.4_p1']);
  // A number after a dot with leading zeros sorts as a fraction.
  assertAscending(apk, ['1.001', '1.01', '1.1']);
  assertEqualVersions(apk, [
    ['1.0', '1.0'],
    ['1.0-r0', '1.0-r0'],
  ]);
  assert.equal(apk.valid('1.2.3_rc1-r0'), true);
  assert.equal(apk.valid('1.2.3a'), true);
  assert.equal(apk.valid('1.2.3_foo'), false);
  assert.equal(apk.valid('v1.2'), false);
  assert.equal(apk.valid('1.2-x'), false);
});

test('rpm: vectors for ~, ^, epochs, numeric vs alpha segments', () => {
  const rpm = schemeFor('Rocky Linux')!;
  assertAscending(rpm, ['1.0~rc1', '1.0', '1.0^git1', '1.0a', '1.0.1', '1.1']);
  assertAscending(rpm, ['1.0-1.el9', '1.0-2.el9', '1.0-10.el9', '2:0.1-1']);
  assertAscending(rpm, ['3.0.7-24.el9', '3.0.7-25.el9_3', '3.0.7-27.el9', '1:3.0.1-1.el9']);
  assert.equal(rpmvercmp('1.0010', '1.10'), 0);
  assert.equal(rpmvercmp('1.0', '1_0'), 0);
  assert.equal(compareRpmVersions('0:1.0-1', '1.0-1'), 0);
});


test('differential: rpm ordering agrees with rpm.vercmp on thousands of pairs', () => {
  const r = rng(7);
  const parts = ['0', '1', '2', '9', '10', '01', '007', 'a', 'b', 'el', 'el9', 'fc39', '.', '_', '+', '~', '^', '~rc1', '^git', 'alpha', 'Z'];
  const pick = (): string => parts[Math.floor(r() * parts.length)]!;
  const gen = (): string => {
    let v = String(Math.floor(r() * 4));
    for (let k = Math.floor(r() * 5); k > 0; k--) v += pick();
    if (r() < 0.2) v = `${Math.floor(r() * 3)}:${v}`;
    if (r() < 0.6) {
      let rel = String(Math.floor(r() * 30));
      for (let k = Math.floor(r() * 3); k > 0; k--) rel += pick();
      v += `-${rel}`;
    }
    return v;
  };
  const real = [
    '3.0.7-24.el9', '3.0.7-25.el9_3', '3.0.7-27.el9', '1:3.0.7-27.el9', '2.34-83.el9_3.7', '2.34-100.el9',
    '7.76.1-26.el9', '7.76.1-26.el9_3.2', '1.2.11-40.el9', '1.2.13-3.fc39', '5.2.15-3.fc39', '1.0.0~rc1-1.fc40',
    '1.0.0^20230101git1234-1', '4.18.0-513.5.1.el8_9', '2.9.13-5.el9_2', '2.9.13-5.el9_3', '1.1.1k-9.el8_7',
  ];
  const pairs: [string, string][] = [];
  for (let n = 0; n < 3000; n++) {
    const a = r() < 0.15 ? real[Math.floor(r() * real.length)]! : gen();
    const b = r() < 0.3 ? a.replace(/\d(?!.*\d)/, String(Math.floor(r() * 10))) : r() < 0.15 ? real[Math.floor(r() * real.length)]! : gen();
    pairs.push([a, b]);
  }
  for (let i = 0; i < real.length; i++) for (let j = 0; j < real.length; j++) pairs.push([real[i]!, real[j]!]);

  const dir = mkdtempSync(join(tmpdir(), 'distill-rpmver-'));
  try {
    const file = join(dir, 'pairs');
    writeFileSync(file, pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
    // One rpm process compares every pair through its Lua API.
    const lua = `%{lua: local t = {}; for line in io.lines("${file}") do local a, b = line:match("^(%S+) (%S+)$"); t[#t + 1] = rpm.vercmp(a, b) end; print(table.concat(t, "\\n"))}`;
    const got = execFileSync('rpm', ['--eval', lua], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n');
    assert.equal(got.length, pairs.length);
    const mismatches: string[] = [];
    pairs.forEach(([a, b], i) => {
      const ours = sign(compareRpmVersions(a, b));
      if (ours !== Number(got[i])) mismatches.push(`${a} vs ${b}: rpm ${got[i]}, ours ${ours}`);
    });
    assert.deepEqual(mismatches.slice(0, 20), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('semver (npm): loose parsing, pre-releases before releases', () => {
  const npm = schemeFor('npm')!;
  assertAscending(npm, ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.2.0', '1.10.0', '2.0.0']);
  assertAscending(npm, ['4.17.20', '4.17.21']);
  assertEqualVersions(npm, [
    ['v1.2.3', '1.2.3'],
    ['=1.2.3', '1.2.3'],
    ['1.2.3+build5', '1.2.3'],
  ]);
  assert.equal(npm.valid('1.2.3'), true);
  assert.equal(npm.valid('not-a-version'), false);
});

test('Go: v prefix, pseudo-versions order by time, +incompatible ignored, toolchain versions', () => {
  const go = schemeFor('Go')!;
  assertAscending(go, [
    'v0.0.0-20210226172049-e18ecbb05110',
    'v0.0.0-20211112202133-69e39bad7dc2',
    'v0.1.0',
    'v0.17.0',
    'v0.23.0',
  ]);
  assertAscending(go, ['1.20.12', '1.21.0-rc.2', '1.21.0', '1.21.5', '1.22.0']);
  assertAscending(go, ['go1.21rc2', 'go1.21', 'go1.21.5']);
  assertEqualVersions(go, [
    ['v2.0.0+incompatible', '2.0.0'],
    ['go1.21.5', '1.21.5'],
    ['v0.17.0', '0.17.0'],
  ]);
  assert.equal(normalizeGoVersion('go1.22rc1'), '1.22.0-rc.1');
  assert.equal(go.valid('(devel)'), false);
});

test('PEP 440: dev < a < b < rc < release < post, epochs, normalisation', () => {
  const py = schemeFor('PyPI')!;
  assertAscending(py, ['1.0.dev1', '1.0a1', '1.0a2', '1.0b1', '1.0rc1', '1.0', '1.0.post1', '1.0.1', '1.1', '1!0.1']);
  assertAscending(py, ['2.25.1', '2.31.0', '2.32.0']);
  assertEqualVersions(py, [
    ['1.0', '1.0.0'],
    ['1.0RC1', '1.0rc1'],
    ['1.0-alpha1', '1.0a1'],
  ]);
  assert.equal(py.valid('1.0.post1'), true);
  assert.equal(py.valid('not a version'), false);
});

test('Maven: qualifier order, aliases, padding, nested lists', () => {
  const mvn = schemeFor('Maven')!;
  assertAscending(mvn, ['1-alpha', '1-beta', '1-milestone', '1-rc', '1-snapshot', '1', '1-sp', '1-abc', '1-1', '1.1']);
  assertAscending(mvn, ['2.0.0-alpha1', '2.0.0-alpha2', '2.0.0-beta1', '2.0.0-M1', '2.0.0-RC1', '2.0.0-SNAPSHOT', '2.0.0', '2.0.1']);
  assertAscending(mvn, ['2.14.1', '2.15.0-rc1', '2.15.0', '2.16.0', '2.17.0']);
  assertAscending(mvn, ['2.9.10.7', '2.9.10.8', '2.10.0']);
  assertAscending(mvn, ['5.3.17', '5.3.18', '5.3.20']);
  assertAscending(mvn, ['1.0', '1.0.1', '1.0.10', '1.1']);
  // The orderings Maven's own ComparableVersion documents for qualifiers and for numbers.
  assertAscending(mvn, [
    '1-alpha2snapshot', '1-alpha2', '1-alpha-123', '1-beta-2', '1-beta123', '1-m2', '1-m11', '1-rc', '1-cr2',
    '1-rc123', '1-SNAPSHOT', '1', '1-sp', '1-sp2', '1-sp123', '1-abc', '1-def', '1-pom-1', '1-1-snapshot', '1-1', '1-2', '1-123',
  ]);
  assertAscending(mvn, [
    '2.0', '2-1', '2.0.2', '2.0.123', '2.1.0', '2.1-a', '2.1b', '2.1-c', '2.1-1', '2.1.0.1', '2.2', '2.123',
    '11.a2', '11.a11', '11.b2', '11.b11', '11.m2', '11.m11', '11', '11.a', '11b', '11c', '11m',
  ]);
  assertEqualVersions(mvn, [
    ['1', '1.0'],
    ['1', '1.0.0'],
    ['1', '1-ga'],
    ['1', '1-final'],
    ['1.0.RELEASE', '1.0'],
    ['1-cr1', '1-rc1'],
    ['1.0-a1', '1.0-alpha-1'],
    ['1.0.Final', '1'],
  ]);
});

test('RubyGems: letter segments are pre-releases', () => {
  const gem = schemeFor('RubyGems')!;
  assertAscending(gem, ['1.0.a', '1.0.b1', '1.0.rc1', '1.0', '1.0.1', '1.1']);
  assertEqualVersions(gem, [['1.0', '1']]);
});

test('differential: PEP 440 ordering agrees with Python packaging on thousands of pairs', () => {
  const r = rng(44);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const gen = (): string => {
    let v = '';
    if (r() < 0.1) v += `${pick(['1', '2'])}!`;
    v += Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(['0', '1', '2', '10', '01'])).join('.');
    if (r() < 0.35) v += pick(['a', 'b', 'rc', 'alpha', 'beta', 'c', 'pre', 'preview', '.a', '-rc']) + pick(['', '0', '1', '2', '10']);
    if (r() < 0.25) v += pick(['.post', 'post', '-', '.post', '-post']) + pick(['1', '2', '0']);
    if (r() < 0.25) v += pick(['.dev', 'dev', '-dev']) + pick(['', '0', '1', '3']);
    if (r() < 0.1) v += `+${pick(['ubuntu', 'local', 'abc'])}${pick(['', '.1', '.2', '-5'])}`;
    return v;
  };
  const real = ['2.25.1', '2.31.0', '2.32.0', '1.26.18', '2.0.0a1', '2.0.0b2', '3.1.2', '3.0.3', '5.3.1', '5.4', '6.0.1', '1!1.0', '0.9.9.post1', '4.0.0rc1'];
  const pairs: [string, string][] = [];
  for (let n = 0; n < 12000; n++) pairs.push([r() < 0.15 ? pick(real) : gen(), r() < 0.15 ? pick(real) : gen()]);
  const py = schemeFor('PyPI')!;
  const valid = pairs.filter(([a, b]) => py.valid(a) && py.valid(b));
  assert.ok(valid.length >= 10000, `only ${valid.length} valid pairs`);
  const script = [
    'import sys, json',
    'from packaging.version import Version',
    'out = []',
    'for a, b in json.load(sys.stdin):',
    '    x, y = Version(a), Version(b)',
    '    out.append(-1 if x < y else (1 if x > y else 0))',
    'print(json.dumps(out))',
  ].join('\n');
  const got = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(valid), encoding: 'utf8', maxBuffer: 1 << 26 })) as number[];
  const mismatches: string[] = [];
  valid.forEach(([a, b], i) => {
    const ours = sign(py.compare(a, b));
    if (ours !== got[i]) mismatches.push(`${a} vs ${b}: packaging ${got[i]}, ours ${ours}`);
  });
  assert.deepEqual(mismatches.slice(0, 20), []);
});

test('issue 19: letter suffixes in apk, 1-ga-1 in Maven, an empty rpm release, 30-digit Go numbers', () => {
  const apk = schemeFor('Alpine')!;
  assertAscending(apk, ['6.6.1p1-r1', '6.6.1p1-r2', '6.6.1p2-r0', '6.6.2']);
  assertAscending(apk, ['1.9.5p1-r1', '1.9.5p2-r1', '1.9.5p10-r1']);
  assertEqualVersions(apk, [['1-r', '1-r0']]);
  assertAscending(apk, ['1-r', '1-r1']);
  // A commit hash is lower-case hex, as apk-tools reads it.
  assert.equal(apk.valid('1.0~abc123'), true);
  assert.equal(apk.valid('1.0~ABC123'), false);

  const mvn = schemeFor('Maven')!;
  assertEqualVersions(mvn, [['1-1', '1-ga-1'], ['1-1', '1-final-1'], ['1-1', '1-0-1']]);
  assertAscending(mvn, ['1-sp-1', '1-ga-1']);
  // `.X` reads as `-X` for a qualifier X, and a list is compared whole against nothing.
  assertAscending(mvn, ['10.a.0', '10.a']);
  assertAscending(mvn, ['10-a0', '10-a0.1']);

  const rpm = schemeFor('Red Hat')!;
  assertAscending(rpm, ['1', '1-', '1-0', '1-1']);
  assertAscending(rpm, ['1', '1-~', '1-']);
  assertEqualVersions(rpm, [['01:1', '1:1'], ['1-.', '1-']]);
  assertAscending(rpm, ['1:1', '123456789012345678901234567890:0']);

  const go = schemeFor('Go')!;
  const big = '123456789012345678901234567890';
  assertAscending(go, [`v1.${big}.0`, `v1.${big.slice(0, -1)}1.0`, `v2.0.0-${big}`, `v2.0.0-${big}1`, 'v2.0.0', `v${big}.0.0`]);
  assert.equal(normalizeGoVersion(`v1.${big}.0`), `1.${big}.0`);
  assert.equal(go.valid('v01.2.3'), false);
  assert.doesNotThrow(() => go.compare(`v${big}`, `v${big}.1`));
  // RubyGems numbers are arbitrary-precision too.
  assertAscending(schemeFor('RubyGems')!, [`1.${big}`, `1.${big.slice(0, -1)}1`]);
});
