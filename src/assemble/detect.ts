/**
 * Which runtime an app directory holds, from the files that name it (package.json, go.mod, …),
 * and whether an executable is static or dynamic (through src/elf).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withElfFile } from '../elf/index.ts';
import { DistillError } from '../util/errors.ts';
import { RUNTIMES, type Runtime } from './common.ts';

export interface ElfInfo {
  /** Has a PT_INTERP program header (needs a dynamic loader, so a libc base). */
  dynamic: boolean;
  /** e_machine mapped to GOARCH names, or "unknown". */
  arch: string;
}

/** An ELF file's machine and whether it has an interpreter; undefined if not ELF, unreadable or malformed. */
export function readElf(path: string): ElfInfo | undefined {
  try {
    return withElfFile(path, (elf) => ({ dynamic: elf.interpreter() !== undefined, arch: elf.header.arch }));
  } catch {
    return undefined;
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
