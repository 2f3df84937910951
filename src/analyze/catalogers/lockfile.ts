/**
 * What every lockfile cataloger shares: the package a lockfile entry declares, which lockfiles
 * are an application's (not a copy inside installed dependencies or a toolchain's sources), and
 * which packages are reachable only through development dependencies.
 */
import type { Package, PackageType } from '../package.ts';

/**
 * Directories whose lockfiles belong to something installed or to a toolchain, not to an app:
 * installed npm and Python packages, the Go module cache and GOROOT (its go.mod files declare the
 * toolchain's own requirements), vendored trees, test data, cargo's registry cache, docs.
 */
const FOREIGN = /\/(node_modules|site-packages|dist-packages|vendor|testdata|\.cargo|\.rustup)\/|\/go\/pkg\/mod\/|^\/usr\/(local\/go|lib\/go[^/]*|share\/go[^/]*|share\/doc|(local\/)?lib\/python[^/]*)\//;

/** Whether a lockfile at `path` (absolute) is an application's own. */
export function appLockfile(path: string): boolean {
  return !FOREIGN.test(path);
}

/** The base name of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** A package a lockfile declares. */
export function declared(type: PackageType, name: string, version: string, purl: string, path: string, cataloger: string, dev = false): Package {
  return { name, version, type, purl, locations: [path], cataloger, declared: 'lockfile', ...(dev ? { dev: true } : {}) };
}

/**
 * The nodes reachable from the development roots but not from the production roots, following
 * `edges` (node -> the nodes it depends on). A package both sides need is not dev-only.
 */
export function devOnly(prod: Iterable<string>, dev: Iterable<string>, edges: (node: string) => Iterable<string>): Set<string> {
  const reach = (roots: Iterable<string>): Set<string> => {
    const seen = new Set<string>();
    const stack = [...roots];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      for (const m of edges(n)) if (!seen.has(m)) stack.push(m);
    }
    return seen;
  };
  const p = reach(prod);
  return new Set([...reach(dev)].filter((n) => !p.has(n)));
}
