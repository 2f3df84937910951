/**
 * ELF files read for their closure: version definitions (checked against readelf), and the
 * streaming capture, which must read exactly what the ranged file reader reads from real binaries
 * while keeping only the dynamic data's ranges, and must fail closed on what it cannot see.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { captureElf, ElfCapture, readElfObject, withElfFile } from '../../src/elf/index.ts';
import { synthElf } from './synth.ts';

const hasReadelf = spawnSync('sh', ['-c', 'command -v readelf'], { stdio: 'ignore' }).status === 0;
const LIBDIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64'];

/** A few real shared libraries and executables of the host. */
function hostElves(limit: number): string[] {
  const out: string[] = [];
  for (const dir of [...LIBDIRS, '/usr/bin']) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const p = `${dir}/${n}`;
      if (out.length >= limit) return out;
      if (lstatSync(p).isFile() && readElfObject(p) && !readElfObject(p)!.unreadable) out.push(p);
    }
  }
  return out;
}

/** The version definitions readelf -V lists for `file`, without the base entry. */
function readelfDefs(file: string): string[] {
  const v = execFileSync('readelf', ['-V', '-W', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const start = v.indexOf('Version definition section');
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of v.slice(start).split('\n').slice(2)) {
    if (!line.trim()) break;
    const m = /Flags: (\S+).*Name: (\S+)/.exec(line);
    if (m && m[1] !== 'BASE') out.push(m[2]!);
  }
  return out;
}

const libc = ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/aarch64-linux-gnu/libc.so.6', '/lib64/libc.so.6'].find((p) => spawnSync('test', ['-f', p]).status === 0);

test('version definitions of the host libc read as readelf lists them', { skip: !hasReadelf || !libc ? 'needs readelf and a glibc' : false }, () => {
  const defs = withElfFile(libc!, (e) => e.versionDefs())!;
  assert.deepEqual(defs, readelfDefs(libc!));
  assert.ok(defs.includes('GLIBC_2.2.5') || defs.includes('GLIBC_2.17'), 'libc defines its first version');
});

test('version definitions of every sampled host library match readelf', { skip: !hasReadelf ? 'needs readelf' : false }, () => {
  const files = hostElves(40);
  assert.ok(files.length > 5);
  for (const f of files) assert.deepEqual(withElfFile(f, (e) => e.versionDefs()), readelfDefs(f), f);
});

test('a stream capture reads what the ranged reader reads, for real binaries and any chunking', async () => {
  const files = hostElves(60);
  for (const [i, f] of files.entries()) {
    const size = lstatSync(f).size;
    const chunk = [65536, 4093, 1 << 20][i % 3]!;
    assert.deepEqual(await captureElf(createReadStream(f, { highWaterMark: chunk }), size, f), readElfObject(f), f);
  }
});

test('a stream capture of a synthetic 32-bit big-endian file reads its needs and versions', async () => {
  const { bytes } = synthElf({ bits: 32, endian: 'big', interp: '/lib/ld.so.1', needed: ['libc.so.6'], runpath: '$ORIGIN/../lib', verneed: [{ file: 'libc.so.6', versions: ['GLIBC_2.4'] }] });
  const cap = new ElfCapture(bytes.length);
  for (let o = 0; o < bytes.length; o += 7) cap.push(bytes.subarray(o, o + 7));
  const obj = cap.finish('/x');
  assert.equal(obj?.bits, 32);
  assert.deepEqual([obj?.interpreter, obj?.needed, obj?.runpath, obj?.versionNeeds], ['/lib/ld.so.1', ['libc.so.6'], ['$ORIGIN/../lib'], [{ file: 'libc.so.6', versions: ['GLIBC_2.4'] }]]);
});

test('a capture holding the stream\'s own chunks reads the same whether they are 1 byte or the whole file', () => {
  const { bytes } = synthElf({ interp: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6', 'libm.so.6'], runpath: '$ORIGIN', verneed: [{ file: 'libc.so.6', versions: ['GLIBC_2.2.5', 'GLIBC_2.34'] }] });
  const whole = new ElfCapture(bytes.length);
  whole.push(bytes);
  const bytewise = new ElfCapture(bytes.length);
  for (let o = 0; o < bytes.length; o++) bytewise.push(bytes.subarray(o, o + 1));
  const obj = whole.finish('/x');
  assert.deepEqual(obj?.needed, ['libc.so.6', 'libm.so.6']);
  assert.deepEqual(bytewise.finish('/x'), obj);
});

test('non-ELF streams are not objects; truncated or unreachable ELF data is unreadable, not guessed', async () => {
  assert.equal(await captureElf(Readable.from([Buffer.from('#!/bin/sh\necho hi\n')]), 18, '/s'), undefined);
  assert.equal(await captureElf(Readable.from([Buffer.from('\x7fEL')]), 3, '/t'), undefined);
  const { bytes } = synthElf({ interp: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6'] });
  const cut = bytes.subarray(0, 40);
  const short = await captureElf(Readable.from([cut]), cut.length, '/short');
  assert.match(short?.unreadable ?? '', /ends inside its headers|truncated/);
  // A stream shorter than the size it declared: the dynamic data never arrives.
  const half = bytes.subarray(0, 120);
  const partial = await captureElf(Readable.from([half]), bytes.length, '/partial');
  assert.ok(partial?.unreadable, 'data past the end of the stream is not invented');
});

const huge = hostElves(2000).map((f) => ({ f, size: lstatSync(f).size })).filter((x) => x.size > 48 * 1024 * 1024).sort((a, b) => b.size - a.size)[0];

test('a large library keeps only its dynamic data, not its text', { skip: huge ? false : 'no host ELF file over 48 MiB' }, async () => {
  const cap = new ElfCapture(huge!.size);
  for await (const c of createReadStream(huge!.f, { highWaterMark: 1 << 20 })) cap.push(c as Buffer);
  assert.deepEqual(cap.finish(huge!.f), readElfObject(huge!.f));
  assert.ok(cap.kept <= 32 * 1024 * 1024, `kept ${cap.kept} of ${huge!.size} bytes`);
});
