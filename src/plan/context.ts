/**
 * The build context as the converter sees it: which files exist and the text of the small
 * manifest files it reads (package.json, go.mod, pom.xml, Cargo.toml, *.csproj, …).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface BuildContext {
  /** Relative paths of the files known (may be only the top levels of a large tree). */
  files(): string[];
  has(path: string): boolean;
  /** Text of a small file, or undefined when absent or not readable. */
  read(path: string): string | undefined;
}

const MAX_FILE = 1024 * 1024;
const SKIP_DIRS = new Set(['node_modules', '.git', 'target', 'dist', 'build', '.next', 'vendor', '.venv', 'venv', 'bin', 'obj']);

/** A context backed by a directory (walked three levels deep, skipping dependency dirs). */
export function dirContext(dir: string): BuildContext {
  const list: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (depth < 3 && !SKIP_DIRS.has(e.name)) walk(p, depth + 1);
      } else list.push(relative(dir, p));
    }
  };
  walk(dir, 0);
  list.sort();
  const set = new Set(list);
  return {
    files: () => list,
    has: (p) => set.has(norm(p)) || existsSync(join(dir, norm(p))),
    read: (p) => {
      const f = join(dir, norm(p));
      try {
        if (statSync(f).size > MAX_FILE) return undefined;
        return readFileSync(f, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/** A context from file names and, optionally, their contents (for tests and library callers). */
export function memoryContext(files: string[] | Record<string, string>): BuildContext {
  const map: Record<string, string | undefined> = Array.isArray(files) ? Object.fromEntries(files.map((f) => [norm(f), undefined])) : Object.fromEntries(Object.entries(files).map(([k, v]) => [norm(k), v]));
  const list = Object.keys(map).sort();
  return { files: () => list, has: (p) => norm(p) in map, read: (p) => map[norm(p)] };
}

/** The empty context: nothing is known beyond the Dockerfile. */
export const NO_CONTEXT: BuildContext = memoryContext([]);

function norm(p: string): string {
  return p.replace(/^\.\//, '').replace(/^\/+/, '');
}

/** package.json of the context, parsed, or undefined. */
export function readJson(ctx: BuildContext, path: string): any {
  const t = ctx.read(path);
  if (t === undefined) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}
