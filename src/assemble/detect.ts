/**
 * Which runtime an app directory holds, from the files that name it (package.json, go.mod, …),
 * and a minimal ELF reader telling static from dynamic executables (only the header and program
 * headers are read; no library parses just PT_INTERP).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { RUNTIMES, type Runtime } from './common.ts';

export interface ElfInfo {
  /** Has a PT_INTERP program header (needs a dynamic loader, so a libc base). */
  dynamic: boolean;
  /** e_machine mapped to GOARCH names, or "unknown". */
  arch: string;
}

const MACHINES: Record<number, string> = { 0x3e: 'amd64', 0xb7: 'arm64', 0x03: '386', 0x28: 'arm', 0xf3: 'riscv64', 0x15: 'ppc64le', 0x16: 's390x' };

/** Reads an ELF file's class, machine and whether it has an interpreter; undefined if not ELF. */
export function readElf(path: string): ElfInfo | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(64);
    if (readSync(fd, head, 0, 64, 0) < 52 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const machine = u16(head, 18);
    const phoff = is64 ? Number(le ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32)) : u32(head, 28);
    const phentsize = u16(head, is64 ? 54 : 42);
    const phnum = u16(head, is64 ? 56 : 44);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    let dynamic = false;
    for (let i = 0; i < phnum; i++) if (u32(ph, i * phentsize) === 3) dynamic = true;
    return { dynamic, arch: MACHINES[machine] ?? 'unknown' };
  } finally {
    closeSync(fd);
  }
}

function isExecutableFile(p: string): boolean {
  try {
    const s = statSync(p);
    return s.isFile() && (s.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Detects the runtime of `appDir` (or of `artifact` when given); errors list what was looked for. */
export function detectRuntime(appDir: string, artifact?: string): Runtime {
  const has = (f: string) => existsSync(join(appDir, f));
  if (artifact) {
    if (/\.jar$/i.test(artifact)) return 'java';
    if (readElf(artifact)) return 'static';
  }
  if (has('package.json')) return 'node';
  if (has('go.mod')) return 'go';
  if (has('Cargo.toml')) return 'rust';
  if (has('pom.xml') || has('build.gradle') || has('build.gradle.kts')) return 'java';
  if (has('requirements.txt') || has('pyproject.toml') || has('setup.py')) return 'python';
  const names = existsSync(appDir) ? readdirSync(appDir) : [];
  if (names.some((n) => n.endsWith('.csproj') || n.endsWith('.fsproj'))) return 'dotnet';
  if (names.some((n) => n.endsWith('.jar')) || has('src/main/java')) return 'java';
  if (artifact && statSync(artifact).isDirectory()) {
    const inner = readdirSync(artifact);
    if (inner.some((n) => n.endsWith('.whl'))) return 'python';
    if (inner.some((n) => n.endsWith('.dll'))) return 'dotnet';
  }
  const exes = names.filter((n) => isExecutableFile(join(appDir, n)) && readElf(join(appDir, n)));
  if (exes.length === 1) return 'static';
  if (names.some((n) => n.endsWith('.py'))) return 'python';
  throw new DistillError(
    appDir,
    `cannot tell the runtime: no package.json, requirements.txt/pyproject.toml, go.mod, pom.xml/build.gradle/*.jar, Cargo.toml, *.csproj or single ELF executable; pass --runtime ${RUNTIMES.join('|')}`,
  );
}
