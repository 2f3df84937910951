/**
 * Debian version ordering: known vectors from Debian Policy, and a differential test against
 * `dpkg --compare-versions` on thousands of pairs drawn from this machine's package lists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareDebianVersions, satisfiesDebian, isValidDebianVersion, parseDebianVersion } from '../../src/debian/version.ts';
import { rng } from '../helpers/rng.ts';

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

test('policy vectors: ~ sorts before the end, letters before other characters, epochs win', () => {
  const lt: [string, string][] = [
    ['1.0~rc1', '1.0'],
    ['1.0~~', '1.0~'],
    ['1.0~~', '1.0~~a'],
    ['1.0~~a', '1.0~'],
    ['1.0', '1.0a'],
    ['1.0a', '1.0+'],
    ['1.0+', '1.0.1'],
    ['1.0', '1.0-0.1'],
    ['1.0-1', '1.0-1.1'],
    ['1.0-1', '1.0-1+deb12u1'],
    ['1.0-1+deb12u1', '1.0-1+deb12u2'],
    ['1.0-9', '1.0-10'],
    ['9.9', '1:0.1'],
    ['1:1.0', '2:0'],
    ['2.30-1', '2.31-1'],
    ['3.0.11-1~deb12u2', '3.0.11-1'],
    ['1.2.3', '1.2.10'],
    ['0.9', '0.10'],
    ['1.0-1~bpo12+1', '1.0-1'],
  ];
  for (const [a, b] of lt) {
    assert.equal(sign(compareDebianVersions(a, b)), -1, `${a} < ${b}`);
    assert.equal(sign(compareDebianVersions(b, a)), 1, `${b} > ${a}`);
  }
  const eq: [string, string][] = [
    ['1.0', '1.0-0'],
    ['0:1.0', '1.0'],
    ['1.01', '1.1'],
    ['1.0-00', '1.0-0'],
  ];
  for (const [a, b] of eq) assert.equal(compareDebianVersions(a, b), 0, `${a} = ${b}`);
});

test('satisfiesDebian applies each relation operator', () => {
  assert.equal(satisfiesDebian('1.2-1', '<<', '1.2-2'), true);
  assert.equal(satisfiesDebian('1.2-2', '<<', '1.2-2'), false);
  assert.equal(satisfiesDebian('1.2-2', '<=', '1.2-2'), true);
  assert.equal(satisfiesDebian('1.2-2', '=', '1.2-2'), true);
  assert.equal(satisfiesDebian('1.2-2', '=', '1.2-3'), false);
  assert.equal(satisfiesDebian('1:0.1', '>=', '9.9'), true);
  assert.equal(satisfiesDebian('1.2~rc1', '>>', '1.2'), false);
  assert.equal(satisfiesDebian('1.2', '>>', '1.2~rc1'), true);
});

test('parse and validate: epoch, last hyphen starts the revision', () => {
  assert.deepEqual(parseDebianVersion('1:2.3-4-5'), { epoch: 1, upstream: '2.3-4', revision: '5' });
  assert.deepEqual(parseDebianVersion('2.3'), { epoch: 0, upstream: '2.3', revision: '' });
  assert.equal(isValidDebianVersion('1:2.3-4'), true);
  assert.equal(isValidDebianVersion('a1.0'), false);
  assert.equal(isValidDebianVersion('x:1.0'), false);
  assert.equal(isValidDebianVersion('1.0 beta'), false);
  assert.equal(isValidDebianVersion(''), false);
});


function systemVersions(): string[] {
  const out = new Set<string>();
  // Installed packages always exist on a Debian machine; the apt lists add variety when present.
  for (const v of execFileSync('dpkg-query', ['-W', '-f=${Version}\n'], { encoding: 'utf8' }).split('\n')) if (v) out.add(v);
  try {
    const dump = execFileSync('apt-cache', ['dumpavail'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    for (const m of dump.matchAll(/^Version: (.+)$/gm)) out.add(m[1]!);
  } catch {
    // no apt lists: installed versions alone
  }
  return [...out].filter(isValidDebianVersion).sort();
}

function trickyVersions(r: () => number): string[] {
  const parts = ['0', '1', '01', '2', '10', '9', 'a', 'b', 'z', 'A', '~', '~~', '+', '.', '~rc1', '+dfsg', 'deb12u1', '+b1', '.0'];
  const out: string[] = [];
  for (let n = 0; n < 3000; n++) {
    const pick = (): string => parts[Math.floor(r() * parts.length)]!;
    let up = String(Math.floor(r() * 3));
    for (let k = Math.floor(r() * 4); k > 0; k--) up += pick();
    let v = up;
    if (r() < 0.3) v = `${Math.floor(r() * 3)}:${v}`;
    if (r() < 0.6) {
      let rev = String(Math.floor(r() * 3));
      for (let k = Math.floor(r() * 3); k > 0; k--) rev += pick();
      v = `${v}-${rev}`;
    }
    if (isValidDebianVersion(v)) out.push(v);
  }
  return out;
}

test('differential: agrees with dpkg --compare-versions on thousands of pairs', () => {
  const r = rng(12);
  const real = systemVersions();
  const tricky = trickyVersions(r);
  const pairs: [string, string][] = [];
  // Neighbours in sorted order share prefixes, which is where comparison bugs live.
  for (let i = 1; i < real.length; i += Math.max(1, Math.floor(real.length / 2000))) pairs.push([real[i - 1]!, real[i]!]);
  for (let n = 0; n < 1000; n++) pairs.push([real[Math.floor(r() * real.length)]!, real[Math.floor(r() * real.length)]!]);
  for (let n = 0; n + 1 < tricky.length; n += 2) pairs.push([tricky[n]!, tricky[n + 1]!]);
  assert.ok(pairs.length >= 3000, `only ${pairs.length} pairs`);

  const dir = mkdtempSync(join(tmpdir(), 'distill-dpkgver-'));
  try {
    const file = join(dir, 'pairs');
    writeFileSync(file, pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
    // One shell runs every comparison; spawning per pair from node would take minutes.
    const script =
      'while read a b; do if dpkg --compare-versions "$a" lt "$b"; then echo "<"; ' +
      'elif dpkg --compare-versions "$a" eq "$b"; then echo "="; else echo ">"; fi; done < "$1"';
    const got = execFileSync('sh', ['-c', script, 'sh', file], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n');
    assert.equal(got.length, pairs.length);
    const mismatches: string[] = [];
    pairs.forEach(([a, b], i) => {
      const ours = ['<', '=', '>'][sign(compareDebianVersions(a, b)) + 1];
      if (ours !== got[i]) mismatches.push(`${a} ${got[i]} ${b} (ours ${ours})`);
    });
    assert.deepEqual(mismatches, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
