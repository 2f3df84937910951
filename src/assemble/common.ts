/**
 * What every runtime builder shares: the plan a builder hands to the assembler (layers of host
 * files mapped to image paths, and the run config it wants), a child-process runner that names
 * the failing tool, and the build cache location.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { DistillError } from '../util/errors.ts';
import type { PipOptions } from './pip.ts';

export const RUNTIMES = ['node', 'python', 'go', 'java', 'rust', 'dotnet', 'static'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** Base flavours of `distill base` a runtime defaults to. */
export type BaseFlavour = 'nodejs' | 'python3' | 'static' | 'base' | 'cc' | 'java';

/** One host path copied into the image at `dest` (a directory is copied recursively). */
export interface Source {
  src: string;
  dest: string;
  /** Paths (relative to `src`) left out, e.g. node_modules in the app layer. */
  exclude?: (rel: string) => boolean;
}

/** A layer a builder wants, with what it holds (shown in --json and the table). */
export interface LayerPlan {
  name: 'dependencies' | 'app';
  holds: string;
  sources: Source[];
  /** When set, the finished layer is cached under this key (plus mtime), e.g. a lockfile hash. */
  cacheKey?: string;
}

/** A builder's result: layers (dependencies first), the base flavour it fits, and run config. */
export interface BuildPlan {
  runtime: Runtime;
  flavour: BaseFlavour;
  layers: LayerPlan[];
  /** Command wanted when the base's entrypoint is the runtime's interpreter. */
  cmd: string[];
  /** Entrypoint to set when the base's entrypoint is not the interpreter (or for binaries). */
  entrypoint?: string[];
  /** Interpreter the base's entrypoint must end with for `cmd` to be enough. */
  interpreter?: RegExp;
  env?: Record<string, string>;
  /** Ports found in the source (e.g. EXPOSE in its Dockerfile). */
  ports?: string[];
  /** Build steps run, for the report. */
  steps: string[];
  /** Notes the user should read (e.g. no lockfile). */
  warnings: string[];
}

/** What a builder gets. */
export interface BuildContext {
  appDir: string;
  artifact?: string;
  /** Scratch dir removed after the image is written. */
  work: string;
  /** GOARCH-style architecture of the target platform. */
  arch: string;
  log: (msg: string) => void;
  /** Where the app lives in the image: the Dockerfile's WORKDIR, else /app. */
  workdir: string;
  /** Where the launch expects the built binary or jar (absolute), when the plan names it. */
  artefact?: string;
  /** The launch comes from the app's Dockerfile (the run plan): the builder only builds and places files. */
  planned: boolean;
  /** The app has a Dockerfile: its app layer holds what `COPY . .` copies (.dockerignore decides), as Dockerfile.distroless's does. */
  fromDockerfile: boolean;
  /** How dependencies are fetched (index, offline); unset: as the user's tools are configured. */
  deps?: DepsOptions;
}

/** What the user asked of the dependency installs; every tool otherwise reads its own configuration (pip.conf, settings.xml, go env, .cargo/config.toml). */
export interface DepsOptions {
  pip?: PipOptions;
  /** `--offline`: cargo --offline, GOFLAGS=-mod=vendor/GOPROXY=off, mvn -o; pip needs a wheelhouse. */
  offline?: boolean;
}

/** `rel` under the image's app directory. */
export function inApp(ctx: Pick<BuildContext, 'workdir'>, rel: string): string {
  return `${ctx.workdir.replace(/\/+$/, '')}/${rel}`;
}

/** Whether a program is on PATH. */
export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Options of `runTool`. */
export interface RunToolOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** The input the error names (the manifest or directory the tool read). */
  what: string;
  /** Every line the tool prints is written here too; a failure names it, so the whole output can be read. */
  logFile?: string;
  /** Each line the tool prints (progress on a TTY). */
  onLine?: (line: string) => void;
}

/** The line of a failed tool's output that says what went wrong: its first ERROR/error line, else the last line. */
export function firstErrorLine(out: string): string {
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /^(\[ERROR\]|ERROR:|error(\[E\d+\])?:|FAILURE:|fatal:|go: |[^ ]+\.go:\d+:\d+: )/.test(l) && !/^\[ERROR\]\s*(COMPILATION ERROR\s*:?|-> \[Help.*)?\s*$/.test(l));
  return (err ?? lines.at(-1) ?? '').replace(/^\[ERROR\]\s*/, '');
}

/** Where an install step's output is kept: $XDG_CACHE_HOME/distill/build/logs/<name>-<time>.log. */
export function installLog(name: string): string {
  return join(cacheDir('logs', '.'), `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
}

/**
 * Runs a build tool; a failure becomes a DistillError with the tool's first error line (and the
 * log file holding all of its output when `logFile` is set, else the tail of it).
 */
export function runTool(cmd: string, args: string[], opts: RunToolOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = opts.logFile ? createWriteStream(opts.logFile) : undefined;
    log?.write(`$ ${cmd} ${args.join(' ')}\n  (in ${opts.cwd})\n`);
    let out = '';
    let partial = '';
    const take = (d: string) => {
      out += d;
      log?.write(d);
      if (!opts.onLine) return;
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) opts.onLine(l.trim());
    };
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    child.on('error', (e) => {
      log?.end();
      reject(new DistillError(opts.what, `cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code) => {
      const done = () => {
        if (code === 0) return resolve(out);
        const shown = `${cmd} ${args.filter((a) => !a.startsWith('-')).slice(0, 3).join(' ')}`.trim();
        if (opts.logFile) reject(new DistillError(opts.what, `${shown} failed (exit ${code}): ${firstErrorLine(out)} (full output: ${opts.logFile})`));
        else reject(new DistillError(opts.what, `${cmd} ${args.join(' ')} failed (exit ${code}):\n${out.trim().split('\n').slice(-15).join('\n')}`));
      };
      if (log) log.end(done);
      else done();
    });
  });
}

/** $XDG_CACHE_HOME/distill/build/<kind>/<key>, created. */
export function cacheDir(kind: string, key: string): string {
  const root = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(root, 'distill', 'build', kind, key);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** sha256 hex of strings and file contents (missing files hash as absent). */
export function hashInputs(parts: (string | { file: string })[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    if (typeof p === 'string') h.update(`s:${p}\0`);
    else h.update(existsSync(p.file) ? Buffer.concat([Buffer.from(`f:${basename(p.file)}\0`), readFileSync(p.file)]) : `missing:${basename(p.file)}\0`);
  }
  return h.digest('hex');
}

/** Names never copied into an app layer: VCS data and .env secrets, even when the Dockerfile's `COPY . .` would. */
const NEVER_COPIED = new Set(['.git', '.hg', '.svn', '.env']);
/** Build-context files left out of an app that has no Dockerfile to say what its COPY takes. */
const CONTEXT_FILES = new Set(['Dockerfile', 'Containerfile', '.dockerignore', '.containerignore', '.gitignore', '.DS_Store']);

/**
 * Reads .dockerignore (top-level patterns with `*` and `?`, no negation) so the app layer holds
 * what `COPY . .` would; a hand-written matcher because only this subset is honoured.
 */
export function ignoreMatcher(appDir: string, extra: string[] = [], opts: { asCopy?: boolean } = {}): (rel: string) => boolean {
  const patterns: RegExp[] = [];
  for (const file of ['.dockerignore', '.containerignore']) {
    const p = join(appDir, file);
    if (!existsSync(p)) continue;
    for (const raw of readFileSync(p, 'utf8').split('\n')) {
      const line = raw.trim().replace(/^\/+/, '').replace(/\/+$/, '');
      if (!line || line.startsWith('#') || line.startsWith('!')) continue;
      const re = line
        .split('')
        .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('')
        .replace(/\[\^\/\]\*\[\^\/\]\*/g, '.*');
      patterns.push(new RegExp(`^${re}(/.*)?$`));
    }
  }
  return (rel: string) => {
    const parts = rel.split(sep);
    if (parts.some((p) => NEVER_COPIED.has(p) || (!opts.asCopy && CONTEXT_FILES.has(p)))) return true;
    if (extra.includes(parts[0]!)) return true;
    const posix = parts.join('/');
    return patterns.some((re) => re.test(posix));
  };
}

/** Copies APPDIR (minus `exclude`) to a fresh dir, so tools that write into it leave APPDIR alone. */
export function copySource(appDir: string, to: string, exclude: (rel: string) => boolean): string {
  cpSync(appDir, to, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => {
      const rel = relative(appDir, src);
      return rel === '' || !exclude(rel);
    },
  });
  return to;
}
