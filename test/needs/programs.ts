/**
 * Real programs built here with the host's toolchains (gcc, g++, rustc, go), for the closure
 * tests: each builder returns the binary's path, or undefined when the toolchain is missing, so a
 * test can skip with the reason instead of failing on a machine without it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/images.ts';

/** Whether `cmd` runs (`cmd --version`, `go version`). */
export function have(cmd: string): boolean {
  try {
    execFileSync(cmd, cmd === 'go' ? ['version'] : ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const built = new Map<string, string | undefined>();
/** Builds once per test process: several tests share a program. */
function once(key: string, build: () => string | undefined): string | undefined {
  if (!built.has(key)) built.set(key, build());
  return built.get(key);
}

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });

/** A C++ program using iostream: needs libstdc++.so.6 (GLIBCXX_3.4), libgcc_s, libc. */
export function cxxProgram(): string | undefined {
  return once('cxx', () => {
    if (!have('g++')) return undefined;
    const dir = tempDir('distill-cxx-');
    writeFileSync(join(dir, 'main.cpp'), '#include <iostream>\n#include <string>\nint main() { std::string s = "hello"; std::cout << s << std::endl; return 0; }\n');
    run('g++', ['-O1', '-o', 'hello', 'main.cpp'], dir);
    return join(dir, 'hello');
  });
}

/**
 * A program that requires GLIBCXX_3.4.99 from libstdc++.so.6: linked against a stand-in library
 * of that soname whose version script defines the version, so the requirement is real ELF data
 * while no released libstdc++ defines it.
 */
export function futureCxxProgram(): string | undefined {
  return once('future', () => {
    if (!have('gcc')) return undefined;
    const dir = tempDir('distill-future-');
    writeFileSync(join(dir, 'fake.c'), 'int future_feature(void) { return 42; }\n');
    writeFileSync(join(dir, 'fake.map'), 'GLIBCXX_3.4.99 { global: future_feature; local: *; };\n');
    writeFileSync(join(dir, 'main.c'), 'int future_feature(void);\nint main(void) { return future_feature() == 42 ? 0 : 1; }\n');
    run('gcc', ['-shared', '-fPIC', '-o', 'libstdc++.so.6', '-Wl,-soname,libstdc++.so.6', '-Wl,--version-script=fake.map', 'fake.c'], dir);
    run('gcc', ['-o', 'future', 'main.c', './libstdc++.so.6'], dir);
    return join(dir, 'future');
  });
}

/** A Rust program (rustc, no crates): dynamic by default, static PIE with `+crt-static`. */
export function rustProgram(crtStatic = false): string | undefined {
  return once(`rust-${crtStatic}`, () => {
    if (!have('rustc')) return undefined;
    const dir = tempDir('distill-rust-');
    writeFileSync(join(dir, 'main.rs'), 'fn main() { let v: Vec<u32> = (1..4).collect(); println!("sum {}", v.iter().sum::<u32>()); }\n');
    run('rustc', ['-O', ...(crtStatic ? ['-C', 'target-feature=+crt-static'] : []), '-o', 'app', 'main.rs'], dir);
    return join(dir, 'app');
  });
}

/** A Go program with cgo (calls C's getpid through cgo): needs libc.so.6 and the loader. */
export function cgoProgram(): string | undefined {
  return once('cgo', () => {
    if (!have('go') || !have('gcc')) return undefined;
    const dir = tempDir('distill-cgo-');
    mkdirSync(join(dir, 'cache'), { recursive: true });
    writeFileSync(join(dir, 'go.mod'), 'module example.com/cgoapp\n\ngo 1.19\n');
    writeFileSync(join(dir, 'main.go'), 'package main\n\n/*\n#include <unistd.h>\n*/\nimport "C"\n\nimport "fmt"\n\nfunc main() { fmt.Println("pid", int(C.getpid())) }\n');
    run('go', ['build', '-o', 'app', '.'], dir, { CGO_ENABLED: '1', GOFLAGS: '-mod=mod', GOPROXY: 'off', GOCACHE: process.env.GOCACHE ?? join(dir, 'cache') });
    return join(dir, 'app');
  });
}

/** A C program that dlopen()s libssl.so.3 and reads the CA bundle and zoneinfo by path. */
export function hintProgram(): string | undefined {
  return once('hint', () => {
    if (!have('gcc')) return undefined;
    const dir = tempDir('distill-hint-');
    writeFileSync(
      join(dir, 'main.c'),
      '#include <dlfcn.h>\n#include <stdio.h>\nint main(void) {\n  void *h = dlopen("libssl.so.3", RTLD_NOW);\n  FILE *f = fopen("/etc/ssl/certs/ca-certificates.crt", "r");\n  FILE *z = fopen("/usr/share/zoneinfo/Europe/Paris", "r");\n  return h && f && z ? 0 : 1;\n}\n',
    );
    run('gcc', ['-O1', '-o', 'hinted', 'main.c'], dir);
    return join(dir, 'hinted');
  });
}

/** The host's copy of a library: the first of the usual directories that holds `name`. */
export function hostLib(name: string): string | undefined {
  for (const d of ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64']) {
    try {
      execFileSync('test', ['-e', `${d}/${name}`]);
      return `${d}/${name}`;
    } catch {
      continue;
    }
  }
  return undefined;
}
