/**
 * Toolchain versions the app declares, checked before any image is built: a go.mod that needs Go
 * 1.25 fails in seconds with the fix named, not after a minute of base and image builds. Each
 * check compares what the app's own files ask for (go.mod's `go` line, `engines.node`,
 * `requires-python`, the Java release in pom.xml or build.gradle, Cargo's `rust-version`) with
 * what will really build or run it: the host toolchain distill build calls, or the distroless
 * base's runtime. A declaration distill cannot read is not a problem: only a proven mismatch is.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { satisfies, validRange } from '@renovatebot/pep440';
import semver from 'semver';
import { flavour } from '../base/flavours.ts';

/** One mismatch between what the app needs and what it would get. */
export interface ToolchainProblem {
  /** go, node, python, java or rust. */
  tool: string;
  /** What the app declares, and where (`go 1.25 (go.mod)`). */
  needs: string;
  /** What it would get (`go1.19.8 on this host`). */
  has: string;
  /** How to fix it, in one phrase. */
  fix: string;
  /** error: the build will fail; warning: it may (a Go before 1.21 treats go.mod's line as advisory). */
  severity: 'error' | 'warning';
}

/** The facts the checks compare against; `toolchainFacts()` reads them from this host. */
export interface ToolchainFacts {
  /** `go env GOVERSION` (go1.19.8), if go is installed. */
  go?: string;
  /** `javac -version`'s feature release (17), if a JDK is installed. */
  javac?: number;
  /** `rustc --version` (1.63.0), if rustc is installed. */
  rustc?: string;
  /** The Node.js major the distroless base gets. */
  nodeMajor: number;
  /** The python3 base's Python (3.11). */
  python: string;
  /** The java base's runtime feature release (17). */
  jre: number;
}

function firstOutput(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? `${r.stdout}\n${r.stderr}`.trim() : undefined;
}

/** The runtime version a flavour's package list pins (python3.11-minimal -> 3.11). */
function flavourVersion(name: 'python3' | 'java', re: RegExp): string | undefined {
  for (const p of flavour(name).packages) {
    const m = re.exec(p);
    if (m) return m[1];
  }
  return undefined;
}

/** What this host and distill's bases provide. */
export function toolchainFacts(nodeMajor: number): ToolchainFacts {
  const javac = /javac (\d+)/.exec(firstOutput('javac', ['-version']) ?? '')?.[1];
  return {
    go: /go\d+(\.\d+)*/.exec(firstOutput('go', ['env', 'GOVERSION']) ?? '')?.[0],
    ...(javac ? { javac: Number(javac) } : {}),
    rustc: /rustc (\d+\.\d+\.\d+)/.exec(firstOutput('rustc', ['--version']) ?? '')?.[1],
    nodeMajor,
    python: flavourVersion('python3', /^python(\d+\.\d+)-minimal$/) ?? '3',
    jre: Number(flavourVersion('java', /^openjdk-(\d+)-jre/) ?? 0),
  };
}

const read = (appDir: string, f: string) => (existsSync(join(appDir, f)) ? readFileSync(join(appDir, f), 'utf8') : undefined);

/** "1.25" or "1.22.3" as a comparable semver. */
const loose = (v: string) => semver.coerce(v, { loose: true });

function goProblem(appDir: string, f: ToolchainFacts): ToolchainProblem | undefined {
  const need = /^go\s+(\d+\.\d+(?:\.\d+)?)\s*$/m.exec(read(appDir, 'go.mod') ?? '')?.[1];
  const have = f.go ? loose(f.go.replace(/^go/, '')) : null;
  const want = need ? loose(need) : null;
  if (!want || !have || semver.gte(have, want)) return undefined;
  // Go 1.21 made the go line a minimum the toolchain enforces; older ones try, and fail only if the code needs more.
  const severity = semver.gte(have, '1.21.0') ? 'error' : 'warning';
  return { tool: 'go', needs: `go ${need} (go.mod)`, has: `${f.go} on this host${severity === 'warning' ? ', which treats the line as advisory and may still build it' : ''}`, fix: `install Go ${need} or newer, or pass --artifact with a binary built elsewhere`, severity };
}

function nodeProblem(appDir: string, f: ToolchainFacts): ToolchainProblem | undefined {
  let range: unknown;
  try {
    range = (JSON.parse(read(appDir, 'package.json') ?? '{}') as { engines?: { node?: unknown } }).engines?.node;
  } catch {
    return undefined;
  }
  if (typeof range !== 'string' || !semver.validRange(range)) return undefined;
  if (semver.intersects(range, `${f.nodeMajor}.x`)) return undefined;
  const fit = semver.minVersion(range)?.major;
  return { tool: 'node', needs: `node ${range} (package.json engines)`, has: `Node.js ${f.nodeMajor} in the distroless base`, fix: fit ? `pass --node ${fit}` : 'pass --node with a major the range allows', severity: 'error' };
}

function pythonProblem(appDir: string, f: ToolchainFacts): ToolchainProblem | undefined {
  const spec = /^\s*requires-python\s*=\s*["']([^"']+)["']/m.exec(read(appDir, 'pyproject.toml') ?? '')?.[1];
  if (!spec || !validRange(spec)) return undefined;
  // The base's patch release is not known here: only a specifier no x.y.* release meets is a mismatch.
  if (satisfies(`${f.python}.0`, spec) || satisfies(`${f.python}.99`, spec)) return undefined;
  return { tool: 'python', needs: `Python ${spec} (pyproject.toml requires-python)`, has: `Python ${f.python} in the python3 base`, fix: 'relax requires-python to allow it, or build on a base with a matching Python (distill build --base)', severity: 'error' };
}

/** The Java release a Maven or Gradle build targets, when it says so plainly. */
function javaRelease(appDir: string): { release: number; file: string } | undefined {
  const pom = read(appDir, 'pom.xml');
  const m = pom && /<(?:maven\.compiler\.release|release|maven\.compiler\.target|java\.version)>\s*(?:1\.)?(\d+)\s*</.exec(pom);
  if (m) return { release: Number(m[1]), file: 'pom.xml' };
  for (const file of ['build.gradle', 'build.gradle.kts']) {
    const g = read(appDir, file);
    const r = g && (/languageVersion(?:\.set\()?\s*(?:=\s*)?JavaLanguageVersion\.of\((\d+)\)/.exec(g) ?? /(?:sourceCompatibility|targetCompatibility)\s*=\s*(?:JavaVersion\.VERSION_(?:1_)?(\d+)|['"]?(?:1\.)?(\d+))/.exec(g));
    if (r) return { release: Number(r[1] ?? r[2]), file };
  }
  return undefined;
}

function javaProblem(appDir: string, f: ToolchainFacts): ToolchainProblem | undefined {
  const need = javaRelease(appDir);
  if (!need) return undefined;
  if (f.javac !== undefined && f.javac < need.release) {
    return { tool: 'java', needs: `Java ${need.release} (${need.file})`, has: `javac ${f.javac} on this host`, fix: `install JDK ${need.release} or newer, or pass --artifact with a jar built elsewhere`, severity: 'error' };
  }
  if (f.jre && f.jre < need.release) {
    return { tool: 'java', needs: `Java ${need.release} (${need.file})`, has: `Java ${f.jre} in the java base`, fix: `target release ${f.jre} or lower, or build on a base with Java ${need.release} (distill build --base)`, severity: 'error' };
  }
  return undefined;
}

function rustProblem(appDir: string, f: ToolchainFacts): ToolchainProblem | undefined {
  const need = /^\s*rust-version\s*=\s*["']([\d.]+)["']/m.exec(read(appDir, 'Cargo.toml') ?? '')?.[1];
  const want = need ? loose(need) : null;
  const have = f.rustc ? loose(f.rustc) : null;
  if (!want || !have || semver.gte(have, want)) return undefined;
  return { tool: 'rust', needs: `rust ${need} (Cargo.toml rust-version)`, has: `rustc ${f.rustc} on this host`, fix: `install Rust ${need} or newer, or pass --artifact with a binary built elsewhere`, severity: 'error' };
}

const CHECKS: Record<string, (appDir: string, f: ToolchainFacts) => ToolchainProblem | undefined> = {
  go: goProblem, node: nodeProblem, python: pythonProblem, java: javaProblem, rust: rustProblem,
};

/** The mismatches for an app of `runtime` (a prebuilt --artifact skips the host build checks). */
export function toolchainProblems(appDir: string, runtime: string, facts: ToolchainFacts, opts: { artifact?: boolean } = {}): ToolchainProblem[] {
  if (opts.artifact && runtime !== 'node' && runtime !== 'python') return [];
  const p = CHECKS[runtime]?.(appDir, facts);
  return p ? [p] : [];
}

/** One line: `the app needs go 1.25 (go.mod), but has go1.21.0 on this host: install Go 1.25 or newer, …`. */
export function describeProblem(p: ToolchainProblem): string {
  return `the app needs ${p.needs}, but has ${p.has}: ${p.fix}`;
}
