/**
 * Python dependencies with pip, from the index the user's pip uses (its own configuration:
 * PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, pip.conf; or `--index-url`), as wheels for the base's
 * Python and platform (`--python-version X.Y --platform manylinux_2_36_<arch> --only-binary=:all:`),
 * so a wheel compiled for another Python never lands on the base. Source builds run with the
 * host's interpreter only when allowed and only when it is the base's version.
 *
 * What to install comes from the app's pins: requirements.txt as written (its hashes keep pip in
 * --require-hashes mode), else Pipfile.lock, poetry.lock or uv.lock turned into a requirements
 * file with their hashes, else pyproject.toml's PEP 621 or Poetry dependencies. The lock and TOML
 * readers are hand-written for the subset these files use (no TOML library in the dependencies).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { flavour } from '../base/flavours.ts';
import { firstErrorLine, hasTool, installLog, runTool } from './common.ts';

/** How pip is reached, and what the user asked of it on distill's command line. */
export interface PipOptions {
  /** `--index-url`: replaces the configured index. */
  indexUrl?: string;
  /** `--extra-index-url` (repeatable). */
  extraIndexUrls?: string[];
  /** `--allow-sdist`: build packages without a fitting wheel with the host's interpreter. */
  allowSdist?: boolean;
  /** `--python-version`: the base's Python when it is not the python3 flavour's. */
  pythonVersion?: string;
}

/** What the app pins: a requirements file pip reads, where it came from, and whether it carries hashes. */
export interface Requirements {
  /** The app's file the pins come from (named in errors). */
  source: string;
  /** The requirements file handed to pip (the app's own, or one written from a lock). */
  file: string;
  names: string[];
  hashed: boolean;
}

/** Wheel platform tag per GOARCH, at Debian 12's glibc 2.36 (pip accepts every older manylinux tag with it). */
const PLATFORMS: Record<string, string> = { amd64: 'manylinux_2_36_x86_64', arm64: 'manylinux_2_36_aarch64' };

/** The Python X.Y of the python3 base flavour (from its python3.X-minimal package). */
export function flavourPythonVersion(): string {
  const pkg = flavour('python3').packages.find((p) => /^python3\.\d+-minimal$/.test(p));
  const m = pkg ? /^python3\.(\d+)-minimal$/.exec(pkg) : null;
  if (!m) throw new DistillError('python3', 'the python3 flavour names no python3.X-minimal package');
  return `3.${m[1]}`;
}

/** The wheel platform tag pip should target for a GOARCH. */
export function wheelPlatform(arch: string): string {
  const p = PLATFORMS[arch];
  if (!p) throw new DistillError(`linux/${arch}`, 'no Python wheel platform known for this architecture');
  return p;
}

/** Requirement lines that name something to install (comments, blanks and pip options dropped). */
export function requirementLines(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').replace(/^#.*$/, '').trim())
    .filter((l) => l && !l.startsWith('-'))
    .map((l) => l.replace(/\s+--hash[=\s]\S+/g, '').trim());
}

/** The project name of a requirement line ("Flask[async]>=2 ; python_version>'3'" -> flask), PEP 503-normalised. */
export function requirementName(line: string): string {
  return normalise(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line)?.[1] ?? line);
}

/** PEP 503 name normalisation. */
export function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The body of a TOML table `[name]` up to the next table header. */
function tomlTable(text: string, name: string): string | undefined {
  const re = new RegExp(`^\\[${name.replace(/[.]/g, '\\.')}\\]\\s*$`, 'm');
  const m = re.exec(text);
  if (!m) return undefined;
  const rest = text.slice(m.index + m[0].length);
  const next = /^\[/m.exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

/** The strings of a TOML array value `key = [ "…", … ]` in a table body (multi-line, brackets inside strings allowed). */
function tomlStringArray(body: string, key: string): string[] | undefined {
  const m = new RegExp(`^\\s*${key}\\s*=\\s*\\[`, 'm').exec(body);
  if (!m) return undefined;
  const out: string[] = [];
  const re = /\s*(?:#[^\n]*\n\s*)*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\]))\s*,?/gy;
  re.lastIndex = m.index + m[0].length;
  for (let x = re.exec(body); x; x = re.exec(body)) {
    if (x[3]) return out;
    out.push(x[1] ?? x[2] ?? '');
  }
  return out;
}

/** PEP 621 `[project] dependencies`. */
export function pep621Dependencies(pyproject: string): string[] | undefined {
  const project = tomlTable(pyproject, 'project');
  return project === undefined ? undefined : (tomlStringArray(project, 'dependencies') ?? []);
}

/** A Poetry version constraint as PEP 440 (^1.2 -> >=1.2,<2.0; ~1.2 -> >=1.2,<1.3; * -> any). */
export function poetryConstraint(c: string): string {
  return c
    .split(',')
    .map((part) => {
      const p = part.trim();
      if (!p || p === '*') return '';
      const caret = /^\^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(p);
      if (caret) {
        const [maj, min, pat] = [Number(caret[1]), caret[2], caret[3]];
        const upper = maj > 0 || min === undefined ? `${maj + 1}.0` : Number(min) > 0 || pat === undefined ? `0.${Number(min) + 1}` : `0.0.${Number(pat) + 1}`;
        return `>=${p.slice(1)},<${upper}`;
      }
      const tilde = /^~(\d+)(?:\.(\d+))?(?:\.\d+)?$/.exec(p);
      if (tilde) return `>=${p.slice(1)},<${tilde[2] === undefined ? Number(tilde[1]) + 1 : `${tilde[1]}.${Number(tilde[2]) + 1}`}`;
      if (/^\d/.test(p)) return `==${p}`;
      return p.replace(/\s+/g, '');
    })
    .filter(Boolean)
    .join(',');
}

/** Poetry's `[tool.poetry.dependencies]` as PEP 508 lines (python itself left out). */
export function poetryDependencies(pyproject: string): string[] | undefined {
  const table = tomlTable(pyproject, 'tool.poetry.dependencies');
  if (table === undefined) return undefined;
  const out: string[] = [];
  for (const m of table.matchAll(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*(.+?)\s*$/gm)) {
    const name = m[1]!;
    if (name.toLowerCase() === 'python') continue;
    const value = m[2]!;
    const version = /^["']([^"']*)["']/.exec(value)?.[1] ?? /version\s*=\s*["']([^"']*)["']/.exec(value)?.[1] ?? '*';
    const extras = /extras\s*=\s*\[([^\]]*)\]/.exec(value)?.[1];
    const ex = extras ? `[${[...extras.matchAll(/["']([^"']+)["']/g)].map((e) => e[1]).join(',')}]` : '';
    out.push(`${name}${ex}${poetryConstraint(version)}`);
  }
  return out;
}

interface LockedPackage {
  name: string;
  version: string;
  hashes: string[];
  deps: string[];
  /** The project itself (uv's editable/virtual root), never installed from the index. */
  local: boolean;
}

/** The `[[package]]` blocks of poetry.lock / uv.lock. */
function lockPackages(text: string, format: 'poetry' | 'uv'): LockedPackage[] {
  return text
    .split(/^\[\[package\]\]\s*$/m)
    .slice(1)
    .map((block) => {
      const body = block.split(/^\[\[/m)[0]!;
      // The package's own keys come before its sub-tables ([package.dependencies], [package.dev-dependencies], …).
      const head = body.split(/^\[package\./m)[0]!;
      const name = /^name\s*=\s*"([^"]+)"/m.exec(head)?.[1] ?? '';
      const version = /^version\s*=\s*"([^"]+)"/m.exec(head)?.[1] ?? '';
      const hashes = [...body.matchAll(/hash\s*=\s*"(sha256:[0-9a-f]{64})"/g)].map((h) => h[1]!);
      let deps: string[];
      if (format === 'uv') {
        const arr = /^dependencies\s*=\s*\[([\s\S]*?)^\]/m.exec(head)?.[1] ?? /^dependencies\s*=\s*\[(.*)\]\s*$/m.exec(head)?.[1] ?? '';
        deps = [...arr.matchAll(/name\s*=\s*"([^"]+)"/g)].map((d) => d[1]!);
      } else {
        const table = /^\[package\.dependencies\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(body)?.[1] ?? '';
        deps = [...table.matchAll(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*=/gm)].map((d) => d[1]!);
      }
      const local = format === 'uv' && /^source\s*=\s*\{\s*(editable|virtual|directory)\s*=/m.exec(head) !== null;
      return { name: normalise(name), version, hashes, deps: deps.map(normalise), local };
    })
    .filter((p) => p.name && p.version);
}

/** The locked packages reachable from `roots` (so dev-only packages stay out), as hashed pins. */
function pinsFrom(pkgs: LockedPackage[], roots: string[]): string[] {
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const seen = new Set<string>();
  const queue = roots.map(normalise);
  while (queue.length) {
    const n = queue.shift()!;
    if (seen.has(n) || !byName.has(n)) continue;
    seen.add(n);
    queue.push(...byName.get(n)!.deps);
  }
  return [...seen]
    .sort()
    .map((n) => byName.get(n)!)
    .filter((p) => !p.local)
    .map((p) => `${p.name}==${p.version}${p.hashes.map((h) => ` --hash=${h}`).join('')}`);
}

/** Pins of a poetry.lock: what [tool.poetry.dependencies] reaches (the main group). */
export function poetryLockPins(lock: string, pyproject: string): string[] {
  const roots = (poetryDependencies(pyproject) ?? pep621Dependencies(pyproject) ?? []).map(requirementName);
  return pinsFrom(lockPackages(lock, 'poetry'), roots);
}

/** Pins of a uv.lock: what the project's own (non-dev) dependencies reach. */
export function uvLockPins(lock: string, pyproject: string): string[] {
  const pkgs = lockPackages(lock, 'uv');
  const root = pkgs.find((p) => p.local);
  const roots = root ? root.deps : (pep621Dependencies(pyproject) ?? []).map(requirementName);
  return pinsFrom(pkgs, roots);
}

/** Pins of a Pipfile.lock's "default" section (develop left out), with its hashes. */
export function pipfileLockPins(lock: string): string[] {
  let data: { default?: Record<string, { version?: string; hashes?: string[]; markers?: string }> };
  try {
    data = JSON.parse(lock) as typeof data;
  } catch (e) {
    throw new DistillError('Pipfile.lock', `not valid JSON: ${(e as Error).message}`);
  }
  return Object.entries(data.default ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, p]) => `${name}${p.version ?? ''}${p.markers ? ` ; ${p.markers}` : ''}${(p.hashes ?? []).map((h) => ` --hash=${h}`).join('')}`);
}

/** What the app pins, from the first of requirements.txt, Pipfile.lock, poetry.lock, uv.lock, pyproject.toml; undefined when nothing is to be installed. */
export function findRequirements(appDir: string, work: string): Requirements | undefined {
  const at = (f: string) => join(appDir, f);
  const read = (f: string) => readFileSync(at(f), 'utf8');
  const written = (source: string, lines: string[]): Requirements | undefined => {
    if (!lines.length) return undefined;
    const file = join(work, 'requirements.locked.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);
    return { source, file, names: lines.map(requirementName), hashed: lines.every((l) => l.includes('--hash=')) };
  };
  if (existsSync(at('requirements.txt'))) {
    const text = read('requirements.txt');
    const names = requirementLines(text).map(requirementName);
    return names.length ? { source: at('requirements.txt'), file: at('requirements.txt'), names, hashed: /--hash[=\s]/.test(text) } : undefined;
  }
  const pyproject = existsSync(at('pyproject.toml')) ? read('pyproject.toml') : '';
  if (existsSync(at('Pipfile.lock'))) return written(at('Pipfile.lock'), pipfileLockPins(read('Pipfile.lock')));
  if (existsSync(at('poetry.lock'))) return written(at('poetry.lock'), poetryLockPins(read('poetry.lock'), pyproject));
  if (existsSync(at('uv.lock'))) return written(at('uv.lock'), uvLockPins(read('uv.lock'), pyproject));
  if (pyproject) {
    const deps = pep621Dependencies(pyproject) ?? poetryDependencies(pyproject) ?? [];
    const r = written(at('pyproject.toml'), deps);
    return r && { ...r, hashed: false };
  }
  return undefined;
}

/** The pip command on PATH (pip3, else python3 -m pip). */
export function pipCommand(): string[] {
  if (hasTool('python3') && spawnSync('python3', ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0) return ['python3', '-m', 'pip'];
  if (hasTool('pip3')) return ['pip3'];
  throw new DistillError('pip', 'pip not found on PATH; install python3-pip');
}

/** URLs without their user:password@. */
export function maskUrl(url: string): string {
  return url.replace(/\/\/[^/@\s]*@/, '//***@');
}

/** The index pip will read, as the user's pip is configured: --index-url, PIP_INDEX_URL, pip.conf, else PyPI. */
export function describeIndex(opts: PipOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.indexUrl) return `${maskUrl(opts.indexUrl)} (--index-url)`;
  if (env.PIP_INDEX_URL) return `${maskUrl(env.PIP_INDEX_URL)} (PIP_INDEX_URL)`;
  try {
    const [cmd, ...pre] = pipCommand();
    const r = spawnSync(cmd!, [...pre, 'config', 'list'], { encoding: 'utf8', env });
    const m = /^(?:global|install)\.index-url='([^']+)'/m.exec(r.stdout ?? '');
    if (m) return `${maskUrl(m[1]!)} (pip config)`;
  } catch {
    /* no pip: the install step says so */
  }
  return 'https://pypi.org/simple (pip default)';
}

/** Why pip found nothing installable, from its verbose log: the wheels it skipped and their tags. */
export function skippedWheels(log: string): string[] {
  return [...new Set([...log.matchAll(/Skipping link: none of the wheel's tags \(([^)]+)\) are compatible[^:]*: \S*\/([^/\s#]+\.whl)/g)].map((m) => `${decodeURIComponent(m[2]!)} (${m[1]})`))];
}

export interface PipInstall {
  reqs: Requirements;
  target: string;
  pythonVersion: string;
  arch: string;
  opts: PipOptions;
  /** A wheelhouse used instead of any index (--no-index --find-links). */
  wheelhouse?: string;
  cwd: string;
  onLine?: (line: string) => void;
}

/** The pip arguments of an install (without the pip command itself). */
export function pipArgs(p: PipInstall, binaryOnly: boolean): string[] {
  return [
    'install',
    '--target',
    p.target,
    '--no-compile',
    '--disable-pip-version-check',
    '--no-warn-script-location',
    // -vv: the log then says which wheels were skipped and for which tags (the reason of a refusal).
    '-vv',
    ...(binaryOnly ? ['--only-binary=:all:', '--python-version', p.pythonVersion, '--implementation', 'cp', '--platform', wheelPlatform(p.arch)] : []),
    ...(p.wheelhouse ? ['--no-index', '--find-links', p.wheelhouse] : []),
    ...(!p.wheelhouse && p.opts.indexUrl ? ['--index-url', p.opts.indexUrl] : []),
    ...(!p.wheelhouse ? (p.opts.extraIndexUrls ?? []).flatMap((u) => ['--extra-index-url', u]) : []),
    ...(p.reqs.hashed ? ['--require-hashes'] : []),
    '-r',
    p.reqs.file,
  ];
}

/** The host interpreter's X.Y. */
function hostPython(): string | undefined {
  const r = spawnSync('python3', ['-c', 'import sys;print("%d.%d"%sys.version_info[:2])'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Installs the pins into `target`: wheels for the base first; a source build only when allowed and the host's Python is the base's. Returns the steps run. */
export async function pipInstall(p: PipInstall): Promise<string[]> {
  const pip = pipCommand();
  const log = installLog('pip');
  const what = p.reqs.source;
  try {
    await runTool(pip[0]!, [...pip.slice(1), ...pipArgs(p, true)], { cwd: p.cwd, what, logFile: log, ...(p.onLine ? { onLine: p.onLine } : {}) });
    return [`pip install --only-binary=:all: --python-version ${p.pythonVersion} --platform ${wheelPlatform(p.arch)} --target /opt/pydeps -r ${p.reqs.source.split('/').pop()}`];
  } catch (e) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const skipped = skippedWheels(text);
    const line = firstErrorLine(text.split('\n').slice(2).join('\n')).replace(/^ERROR:\s*/, '') || (e as Error).message;
    if (skipped.length && !p.opts.allowSdist) {
      // A wheel for another Python or platform is refused (exit 3): installing it would give an image that cannot import it.
      const why = `no wheel fits the base's Python ${p.pythonVersion} on ${wheelPlatform(p.arch)}: the index has ${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''}`;
      throw new DistillError(what, `${why}; publish wheels for CPython ${p.pythonVersion}, or pass --allow-sdist to build from source with the host's Python (full output: ${log})`, 3);
    }
    if (!p.opts.allowSdist || !/No matching distribution|Could not find a version/i.test(line)) {
      const hint = /No matching distribution|Could not find a version/i.test(line) ? `; no wheel for CPython ${p.pythonVersion} on ${wheelPlatform(p.arch)} on the index (--allow-sdist builds from source)` : '';
      throw new DistillError(what, `pip install failed: ${line}${hint} (full output: ${log})`);
    }
    const host = hostPython();
    if (host !== p.pythonVersion) {
      throw new DistillError(what, `no wheel fits the base's Python ${p.pythonVersion}, and a source build needs a host python3 ${p.pythonVersion} (this one is ${host ?? 'missing'}) (full output: ${log})`);
    }
    const srcLog = installLog('pip-sdist');
    await runTool(pip[0]!, [...pip.slice(1), ...pipArgs(p, false)], { cwd: p.cwd, what, logFile: srcLog, ...(p.onLine ? { onLine: p.onLine } : {}) });
    return [`pip install --target /opt/pydeps -r ${p.reqs.source.split('/').pop()} (source builds allowed, host python3 ${host})`];
  }
}
