/**
 * The ELF reader on binaries compiled here (gcc, g++, go), checked against readelf where binutils
 * is installed, on synthetic files of both classes and byte orders, and on truncated, corrupted
 * and hostile files that must give an ElfError (or nothing), never a crash or a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bufferSource, ElfError, fdSource, openElf, readElfFile, withElfFile, type Elf, type ElfSource, type ElfSummary } from '../../src/elf/index.ts';
import { tempDir } from '../helpers/images.ts';
import { BASE, synthElf, Writer } from './synth.ts';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const hasGcc = has('gcc');
const hasReadelf = has('readelf');
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', riscv64: 'riscv64', s390x: 's390x', ppc64: 'ppc64le' };

function summarize(b: Buffer): ElfSummary {
  return openElf(bufferSource(b))!.summary();
}

/** What readelf says about `file`: the fields the reader returns, parsed from -l, -d and -V. */
function readelf(file: string): Pick<ElfSummary, 'needed' | 'runpath' | 'rpath' | 'versionNeeds'> & { interpreter?: string; soname?: string } {
  const run = (flag: string) => execFileSync('readelf', [flag, '-W', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const d = run('-d');
  const l = run('-l');
  const v = run('-V');
  const one = (re: RegExp) => re.exec(d)?.[1];
  const list = (re: RegExp) => [...d.matchAll(re)].flatMap((m) => m[1]!.split(':'));
  const versionNeeds: { file: string; versions: string[] }[] = [];
  const start = v.indexOf('Version needs section');
  if (start >= 0) {
    for (const line of v.slice(start).split('\n').slice(2)) {
      if (!line.trim()) break;
      const file = /File: (\S+)/.exec(line)?.[1];
      const name = /Name: (\S+)/.exec(line)?.[1];
      if (file) versionNeeds.push({ file, versions: [] });
      else if (name) versionNeeds.at(-1)!.versions.push(name);
    }
  }
  const interpreter = /\[Requesting program interpreter: (.*)\]/.exec(l)?.[1];
  const soname = one(/\(SONAME\)\s+Library soname: \[(.*)\]/);
  return {
    ...(interpreter !== undefined ? { interpreter } : {}),
    needed: [...d.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((m) => m[1]!),
    runpath: list(/\(RUNPATH\)\s+Library runpath: \[(.*)\]/g),
    rpath: list(/\(RPATH\)\s+Library rpath: \[(.*)\]/g),
    ...(soname !== undefined ? { soname } : {}),
    versionNeeds,
  };
}

/** Section names as readelf -S lists them (section 0, unnamed, left out). */
function readelfSections(file: string): string[] {
  const out = execFileSync('readelf', ['-S', '-W', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  return [...out.matchAll(/^\s*\[\s*(\d+)\] (\S+)/gm)].filter((m) => m[1] !== '0').map((m) => m[2]!);
}

function assertMatchesReadelf(file: string, s: ElfSummary): void {
  if (!hasReadelf) return;
  const { bits: _b, endian: _e, type: _t, machine: _m, arch: _a, dynamic: _d, ...ours } = s;
  assert.deepEqual(ours, readelf(file), `${file}: as readelf reads it`);
}

function gcc(dir: string, name: string, source: string, args: string[], compiler = 'gcc'): string {
  const src = join(dir, `${name}.${compiler === 'g++' ? 'cc' : 'c'}`);
  writeFileSync(src, source);
  const out = join(dir, name);
  execFileSync(compiler, ['-O1', '-o', out, src, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

const C_MATH = '#include <math.h>\n#include <stdio.h>\nint main(int argc, char **argv) { printf("%f\\n", cbrt((double)argc)); return 0; }\n';

test('dynamic C program with -lm and an $ORIGIN runpath: interpreter, needed, runpath and GLIBC versions, as readelf reads them', { skip: !hasGcc && 'gcc is not installed' }, () => {
  const dir = tempDir('distill-elf-');
  const bin = gcc(dir, 'app', C_MATH, ['-lm', "-Wl,-rpath,$ORIGIN/lib"]);
  const s = readElfFile(bin)!;
  assert.match(s.interpreter ?? '', /^\/lib.*\/ld-linux[-\w.]*\.so\.\d$/);
  assert.ok(s.needed.includes('libm.so.6') && s.needed.includes('libc.so.6'), s.needed.join());
  assert.deepEqual(s.runpath, ['$ORIGIN/lib']);
  assert.deepEqual(s.rpath, []);
  assert.equal(s.dynamic, true);
  assert.equal(s.arch, GOARCH[process.arch] ?? 'unknown');
  const libc = s.versionNeeds.find((v) => v.file === 'libc.so.6');
  assert.ok(libc?.versions.some((v) => /^GLIBC_2\.\d+(\.\d+)?$/.test(v)), JSON.stringify(s.versionNeeds));
  assertMatchesReadelf(bin, s);
  // The whole file in memory reads the same as the file read by range.
  assert.deepEqual(summarize(readFileSync(bin)), s);
  if (hasReadelf) assert.deepEqual(withElfFile(bin, (e) => e.sections().slice(1).map((x) => x.name)), readelfSections(bin));
  assert.equal(withElfFile(bin, (e) => e.section('.dynamic')?.offset), withElfFile(bin, (e) => e.programHeaders().find((p) => p.type === 2)?.offset));
});

test('section headers stripped: the dynamic data is found through the program headers alone', { skip: !hasGcc && 'gcc is not installed' }, () => {
  const dir = tempDir('distill-elf-');
  const bin = readFileSync(gcc(dir, 'app', C_MATH, ['-lm', '-Wl,-rpath,/opt/x/lib']));
  const stripped = Buffer.from(bin);
  stripped.writeBigUInt64LE(0n, 0x28); // e_shoff
  stripped.writeUInt16LE(0, 0x3c); // e_shnum
  stripped.writeUInt16LE(0, 0x3e); // e_shstrndx
  const e = openElf(bufferSource(stripped))!;
  assert.deepEqual(e.sections(), []);
  assert.deepEqual(e.summary(), summarize(bin));
  assert.deepEqual(e.summary().runpath, ['/opt/x/lib']);
});

test('a shared library\'s SONAME, and RPATH from the old dtags, as readelf reads them', { skip: !hasGcc && 'gcc is not installed' }, () => {
  const dir = tempDir('distill-elf-');
  const lib = join(dir, 'libdemo.so.1');
  writeFileSync(join(dir, 'demo.c'), 'int demo(int x) { return x * 2; }\n');
  execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libdemo.so.1', '-o', lib, join(dir, 'demo.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
  execFileSync('ln', ['-s', 'libdemo.so.1', join(dir, 'libdemo.so')]);
  const l = readElfFile(lib)!;
  assert.equal(l.soname, 'libdemo.so.1');
  assert.equal(l.interpreter, undefined);
  assert.equal(l.type, 'dyn');
  assertMatchesReadelf(lib, l);
  const bin = gcc(dir, 'app', 'int demo(int);\nint main(int c, char **v) { return demo(c); }\n', [`-L${dir}`, '-ldemo', '-Wl,--disable-new-dtags', '-Wl,-rpath,/opt/demo/lib:$ORIGIN']);
  const s = readElfFile(bin)!;
  assert.deepEqual(s.rpath, ['/opt/demo/lib', '$ORIGIN']);
  assert.deepEqual(s.runpath, []);
  assert.ok(s.needed.includes('libdemo.so.1'));
  assertMatchesReadelf(bin, s);
});

test('static C program: no interpreter, no dynamic section, nothing needed', { skip: !hasGcc && 'gcc is not installed' }, (t) => {
  const dir = tempDir('distill-elf-');
  let bin: string;
  try {
    bin = gcc(dir, 'static', C_MATH, ['-static', '-lm']);
  } catch (e) {
    t.skip(`gcc -static failed (no static libc?): ${(e as Error).message.split('\n')[0]}`);
    return;
  }
  const s = readElfFile(bin)!;
  assert.deepEqual(
    { interpreter: s.interpreter, dynamic: s.dynamic, needed: s.needed, versionNeeds: s.versionNeeds, type: s.type },
    { interpreter: undefined, dynamic: false, needed: [], versionNeeds: [], type: 'exec' },
  );
  assertMatchesReadelf(bin, s);
  assert.ok(withElfFile(bin, (e) => e.notes().some((n) => n.name === 'GNU')), 'the GNU ABI-tag / build-id notes');
});

test('C++ program: libstdc++ versions (GLIBCXX_3.4.x) beside libc ones', { skip: !has('g++') && 'g++ is not installed' }, () => {
  const dir = tempDir('distill-elf-');
  const bin = gcc(dir, 'cxx', '#include <iostream>\n#include <string>\nint main(int c, char **v) { std::string s(v[0]); std::cout << s.size() << std::endl; return 0; }\n', [], 'g++');
  const s = readElfFile(bin)!;
  assert.ok(s.needed.includes('libstdc++.so.6'));
  assert.ok(s.versionNeeds.find((v) => v.file === 'libstdc++.so.6')?.versions.some((v) => /^GLIBCXX_3\.4(\.\d+)?$/.test(v)), JSON.stringify(s.versionNeeds));
  assertMatchesReadelf(bin, s);
});

test('Go binaries: static without cgo (with Go\'s build-id note), dynamic with it', { skip: !has('go') && 'go is not on PATH' }, () => {
  const dir = tempDir('distill-elf-go-');
  writeFileSync(join(dir, 'go.mod'), 'module example.com/elfdemo\n\ngo 1.19\n');
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOCACHE: join(dir, 'cache'), GOPATH: join(dir, 'gopath') };
  mkdirSync(join(dir, 'pure'));
  writeFileSync(join(dir, 'pure/main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n');
  execFileSync('go', ['build', '-o', join(dir, 'pure.bin'), './pure'], { cwd: dir, env: { ...env, CGO_ENABLED: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const pure = readElfFile(join(dir, 'pure.bin'))!;
  assert.deepEqual([pure.interpreter, pure.dynamic, pure.needed], [undefined, false, []]);
  assert.equal(pure.arch, execFileSync('go', ['env', 'GOARCH'], { encoding: 'utf8' }).trim());
  const note = withElfFile(join(dir, 'pure.bin'), (e) => e.notes().find((n) => n.name === 'Go'));
  assert.equal(note?.type, 4, 'NT_GO_BUILD_ID');
  assert.match(note!.desc.toString('latin1'), /^[\w-]+\/[\w-]+/);
  assertMatchesReadelf(join(dir, 'pure.bin'), pure);
  if (!hasGcc) return;
  mkdirSync(join(dir, 'cgo'));
  writeFileSync(join(dir, 'cgo/main.go'), 'package main\n\n// int twice(int x) { return 2 * x; }\nimport "C"\n\nimport "fmt"\n\nfunc main() { fmt.Println(C.twice(21)) }\n');
  execFileSync('go', ['build', '-o', join(dir, 'cgo.bin'), './cgo'], { cwd: dir, env: { ...env, CGO_ENABLED: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const cgo = readElfFile(join(dir, 'cgo.bin'))!;
  assert.match(cgo.interpreter ?? '', /ld-linux/);
  assert.ok(cgo.needed.includes('libc.so.6'), cgo.needed.join());
  assert.ok(cgo.versionNeeds.some((v) => v.versions.some((x) => x.startsWith('GLIBC_2.'))));
  assertMatchesReadelf(join(dir, 'cgo.bin'), cgo);
});

test('synthetic files, 32- and 64-bit, little- and big-endian, read alike (and as readelf reads them)', () => {
  const dir = tempDir('distill-elf-');
  for (const bits of [32, 64] as const) {
    for (const endian of ['little', 'big'] as const) {
      const spec = {
        bits,
        endian,
        machine: 0x15,
        interp: '/lib/ld64.so.2',
        needed: ['libfoo.so.3', 'libc.so.6'],
        runpath: '$ORIGIN/../lib:/usr/local/lib',
        soname: 'libself.so.1',
        verneed: [{ file: 'libc.so.6', versions: ['GLIBC_2.17', 'GLIBC_2.34'] }, { file: 'libfoo.so.3', versions: ['FOO_1'] }],
        notes: [{ name: 'GNU', type: 3, desc: Buffer.from('0123456789abcdef0123') }],
        sections: true,
      };
      const { bytes } = synthElf(spec);
      const e = openElf(bufferSource(bytes))!;
      const s = e.summary();
      assert.deepEqual(s, {
        bits,
        endian,
        type: 'dyn',
        machine: 0x15,
        arch: endian === 'little' ? 'ppc64le' : 'ppc64',
        interpreter: '/lib/ld64.so.2',
        dynamic: true,
        needed: spec.needed,
        runpath: ['$ORIGIN/../lib', '/usr/local/lib'],
        rpath: [],
        soname: 'libself.so.1',
        versionNeeds: spec.verneed,
      });
      assert.deepEqual(e.sections().map((x) => x.name), ['', '.interp', '.dynstr', '.gnu.version_r', '.dynamic', '.shstrtab']);
      assert.equal(e.section('.dynstr')?.type, 3);
      assert.deepEqual(e.notes(), [{ name: 'GNU', type: 3, desc: Buffer.from('0123456789abcdef0123') }]);
      const file = join(dir, `synth-${bits}-${endian}`);
      writeFileSync(file, bytes);
      assertMatchesReadelf(file, s);
    }
  }
});

test('a file is read by range: a summary of the node binary reads a few KiB, not the file', () => {
  const fd = openSync(process.execPath, 'r');
  try {
    const size = fstatSync(fd).size;
    const inner = fdSource(fd, size);
    let bytes = 0;
    const counting: ElfSource = { size, read: (o, n) => ((bytes += n), inner.read(o, n)) };
    const s = openElf(counting)!.summary();
    assert.ok(s.needed.length > 0 || !s.dynamic);
    assert.ok(bytes < 256 * 1024, `read ${bytes} of ${size} bytes`);
  } finally {
    closeSync(fd);
  }
});

test('not ELF: text, a directory, a FIFO and a 4-byte magic give undefined; a missing file throws ENOENT', (t) => {
  const dir = tempDir('distill-elf-');
  writeFileSync(join(dir, 'script'), '#!/bin/sh\necho hi\n');
  writeFileSync(join(dir, 'magic'), '\x7fELF');
  assert.equal(readElfFile(join(dir, 'script')), undefined);
  assert.equal(readElfFile(join(dir, 'magic')), undefined);
  assert.equal(readElfFile(dir), undefined);
  if (spawnSync('mkfifo', [join(dir, 'fifo')]).status === 0) assert.equal(readElfFile(join(dir, 'fifo')), undefined, 'no blocking open');
  else t.diagnostic('mkfifo unavailable; FIFO case not run');
  assert.throws(() => readElfFile(join(dir, 'nope')), /ENOENT/);
});

/** A function's outcome on hostile input: its value, or the ElfError message; anything else fails. */
function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    if (e instanceof ElfError) return e.message;
    throw e;
  }
}

const sample = () =>
  synthElf({
    interp: '/lib64/ld-linux-x86-64.so.2',
    needed: ['libm.so.6', 'libc.so.6'],
    runpath: '$ORIGIN/lib',
    verneed: [{ file: 'libc.so.6', versions: ['GLIBC_2.2.5', 'GLIBC_2.34'] }],
    notes: [{ name: 'Go', type: 4, desc: Buffer.from('id') }],
    sections: true,
  });

/** Sets the value of the first dynamic entry with `tag` (64-bit little-endian files). */
function setDyn(b: Buffer, dynOff: number, tag: number, val: number | bigint): void {
  for (let o = dynOff; o + 16 <= b.length; o += 16) {
    if (b.readBigUInt64LE(o) === BigInt(tag)) {
      b.writeBigUInt64LE(BigInt(val), o + 8);
      return;
    }
  }
  throw new Error(`no dynamic tag ${tag}`);
}

test('truncated at every length and corrupted at random: an ElfError or an answer, never a crash or a hang', { timeout: 60_000 }, () => {
  const files = [sample().bytes, synthElf({ bits: 32, endian: 'big', interp: '/lib/ld.so.1', needed: ['libc.so.6'], verneed: [{ file: 'libc.so.6', versions: ['GLIBC_2.0'] }], sections: true }).bytes];
  if (hasGcc) files.push(readFileSync(gcc(tempDir('distill-elf-'), 'app', C_MATH, ['-lm'])));
  let errors = 0;
  for (const whole of files) {
    // Every length of the small synthetic files; every 7th (all structures still cut) of the real one.
    for (let n = 0; n <= whole.length; n += whole.length > 4096 ? 7 : 1) {
      const r = outcome(() => {
        const e = openElf(bufferSource(whole.subarray(0, n)));
        return e && [e.summary(), e.sections(), e.notes()];
      });
      if (typeof r === 'string') errors++;
    }
  }
  assert.ok(errors > 0, 'some truncations are reported');
  // A seeded generator, so a failure reproduces.
  let seed = 0x2545f491;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const base = sample().bytes;
  const values = [0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff];
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(base);
    for (let k = 1 + rand(6); k > 0; k--) {
      const at = rand(b.length - 4);
      if (rand(2)) b[at] = rand(256);
      else b.writeUInt32LE(values[rand(values.length)]!, at);
    }
    outcome(() => {
      const e = openElf(bufferSource(b));
      return e && [e.summary(), e.sections(), e.notes(), e.fileOffset(BASE + rand(b.length))];
    });
  }
});

test('hostile headers and tables: each named in an ElfError', () => {
  const { bytes, at } = sample();
  const patched = (f: (b: Buffer, w: Writer) => void): Buffer => {
    const b = Buffer.from(bytes);
    f(b, new Writer(b, true, true));
    return b;
  };
  const fails = (b: Buffer, re: RegExp, what: (e: Elf) => unknown = (e) => e.summary()) =>
    assert.throws(() => what(openElf(bufferSource(b))!), (err: Error) => err instanceof ElfError && re.test(err.message));
  fails(patched((b) => (b[4] = 7)), /unknown ELF class 7/, (e) => e);
  fails(patched((_b, w) => w.u16(0x38, 0xfff0)), /program header table of 65520 entries .* implausibly large/);
  fails(patched((_b, w) => w.word(0x20, bytes.length + 100)), /program header table at .* lies outside the file/);
  fails(patched((_b, w) => w.word(0x20, 0xffffffffffffff00n)), /outside the file/);
  // e_phnum 0xffff (PN_XNUM): the real count is in section 0, here set absurd.
  fails(patched((_b, w) => (w.u16(0x38, 0xffff), w.u32(at.shoff + 44, 0x7fffffff))), /implausibly large/);
  // More than 0xfeff sections: e_shnum 0 and the count in section 0, set absurd.
  fails(patched((_b, w) => (w.u16(0x3c, 0), w.word(at.shoff + 32, 0xffffff))), /16777215 sections is implausibly many/, (e) => e.sections());
  fails(patched((b) => setDyn(b, at.dynamic, 5, 0x10)), /DT_STRTAB address 0x10 is in no loaded segment/);
  fails(patched((b) => b.writeBigUInt64LE(5000n, at.dynamic + 8)), /string index 5000 is past its end/);
  // A string table with no NUL in it: the read stops at the table's end.
  fails(patched((b) => b.fill(0x41, at.dynstr, at.verneed)), /not terminated/);
  fails(patched((b) => setDyn(b, at.dynamic, 0x6fffffff, 0xffffffff)), /DT_VERNEEDNUM of 4294967295 is implausibly many/);
  fails(patched((_b, w) => w.u16(at.verneed + 2, 0xffff)), /with 65535 versions is implausibly many/);
  // vn_next of -16 as a u32: in 32-bit arithmetic it would loop back onto the same entry.
  fails(patched((b, w) => (setDyn(b, at.dynamic, 0x6fffffff, 2), w.u32(at.verneed + 12, 0xfffffff0))), /version requirement at .* lies outside the file/);
  const noteAt = bytes.indexOf(Buffer.from('Go\0\0'), 0) - 12;
  fails(patched((_b, w) => w.u32(noteAt, 0x7ffffff0)), /note at .* runs past its segment/, (e) => e.notes());
});

test('version requirements sharing one long chain are capped, not multiplied', () => {
  const s = synthElf({ verneed: [{ file: 'libc.so.6', versions: ['GLIBC_2.2.5'] }] });
  const n = 4096;
  const tail = Buffer.alloc(32 * n);
  const file = 1; // index of "libc.so.6" in the dynamic string table
  for (let i = 0; i < n; i++) {
    const vn = i * 16;
    tail.writeUInt16LE(1, vn);
    tail.writeUInt16LE(n, vn + 2);
    tail.writeUInt32LE(file, vn + 4);
    tail.writeUInt32LE(16 * n - vn, vn + 8); // every entry's versions: the one chain after the entries
    tail.writeUInt32LE(16, vn + 12);
    const aux = 16 * n + i * 16;
    tail.writeUInt32LE(file, aux + 8);
    tail.writeUInt32LE(i === n - 1 ? 0 : 16, aux + 12);
  }
  const b = Buffer.concat([s.bytes, tail]);
  // The first program header is PT_LOAD (no PT_INTERP here): make it cover the tail.
  b.writeBigUInt64LE(BigInt(b.length), s.at.phoff + 32);
  b.writeBigUInt64LE(BigInt(b.length), s.at.phoff + 40);
  setDyn(b, s.at.dynamic, 0x6ffffffe, BASE + s.bytes.length);
  setDyn(b, s.at.dynamic, 0x6fffffff, n);
  const started = Date.now();
  assert.throws(() => openElf(bufferSource(b))!.versionNeeds(), /more than 16384 version requirements/);
  assert.ok(Date.now() - started < 5000);
});
