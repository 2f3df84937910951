/**
 * Binary package indexes (`dists/SUITE/COMPONENT/binary-ARCH/Packages.{xz,gz}`): downloaded into
 * the content-addressed cache under the SHA256 the verified InRelease signs, decompressed as a
 * stream (the decompressed bytes are checked against the signed hash of the plain `Packages` too),
 * parsed paragraph by paragraph, and indexed by name and by Provides. Only the fields a build
 * needs are kept, so the ~60k-package bookworm index stays small in memory.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { DistillError, isDistillError } from '../util/errors.ts';
import { HashingStream } from '../util/cache.ts';
import { fetchToCache, type FetchOptions } from '../util/fetch.ts';
import { field, folded, parseControlStream, parseRelations, type ControlFields, type Relation } from './control.ts';
import { fetchRelease, type Release, type ReleaseOptions } from './release.ts';
import { selectRepositories, type Repository, type RepositoryOptions } from './sources.ts';
import { compareDebianVersions } from './version.ts';
import { xzDecompress } from './xz.ts';

/** One binary package as a Packages index lists it. */
export interface PackageEntry {
  name: string;
  version: string;
  architecture: string;
  multiArch?: string;
  /** Raw relationship fields, folded to one line; parse with `parseRelations`. */
  depends?: string;
  preDepends?: string;
  provides: Relation[];
  /** Path relative to the archive root, e.g. `pool/main/g/glibc/libc6_2.36-9_amd64.deb`. */
  filename: string;
  size: number;
  /** sha256 hex of the .deb. */
  sha256: string;
  source?: string;
  essential: boolean;
  priority?: string;
  section?: string;
  installedSize?: number;
  /** Archive root that `filename` is relative to. */
  baseUri: string;
  /** `uri suite` of the repository it came from. */
  origin: string;
}

/** Packages by name (highest version first) and by what they Provide. */
export class PackageIndex {
  private readonly names = new Map<string, PackageEntry[]>();
  private readonly provided = new Map<string, { entry: PackageEntry; version?: string }[]>();

  /** Adds one entry; duplicates (same name, version, architecture) keep the first seen. */
  add(e: PackageEntry): void {
    const list = this.names.get(e.name);
    if (!list) this.names.set(e.name, [e]);
    else {
      if (list.some((x) => x.version === e.version && x.architecture === e.architecture)) return;
      list.push(e);
      list.sort((a, b) => compareDebianVersions(b.version, a.version));
    }
    for (const p of e.provides) {
      const ps = this.provided.get(p.name) ?? [];
      ps.push(p.op === '=' && p.version ? { entry: e, version: p.version } : { entry: e });
      this.provided.set(p.name, ps);
    }
  }

  /** Every version of a real package, highest first. */
  versions(name: string): readonly PackageEntry[] {
    return this.names.get(name) ?? [];
  }

  /** The highest version of `name`, or the exact `version` when given. */
  get(name: string, version?: string): PackageEntry | undefined {
    const list = this.names.get(name);
    if (!list) return undefined;
    return version === undefined ? list[0] : list.find((e) => e.version === version);
  }

  /** Packages that Provide `name`, each with the version it provides (if any). */
  providers(name: string): readonly { entry: PackageEntry; version?: string }[] {
    return this.provided.get(name) ?? [];
  }

  /** Number of distinct package names. */
  get size(): number {
    return this.names.size;
  }

  /** All package names, sorted. */
  packageNames(): string[] {
    return [...this.names.keys()].sort();
  }

  /** Names of the Priority: required and Essential packages for `arch` (or all): what debootstrap's minbase starts from. */
  requiredPackages(arch = 'amd64'): string[] {
    return this.packageNames().filter((n) => {
      const e = this.get(n);
      return e && (e.priority === 'required' || e.essential) && (e.architecture === arch || e.architecture === 'all');
    });
  }
}

/** Turns one Packages paragraph into an entry; undefined when it lacks what a download needs. */
export function entryFromFields(p: ControlFields, baseUri: string, origin: string): PackageEntry | undefined {
  const name = field(p, 'Package');
  const version = field(p, 'Version');
  const architecture = field(p, 'Architecture');
  const filename = field(p, 'Filename');
  const sha256 = field(p, 'SHA256');
  const size = field(p, 'Size');
  if (!name || !version || !architecture || !filename || !sha256 || !size) return undefined;
  const e: PackageEntry = {
    name,
    version,
    architecture,
    provides: parseRelations(field(p, 'Provides'), `${name} Provides`).flat(),
    filename,
    size: Number(size),
    sha256,
    essential: /^yes$/i.test(field(p, 'Essential') ?? ''),
    baseUri,
    origin,
  };
  const opt: [keyof PackageEntry, string][] = [
    ['multiArch', 'Multi-Arch'],
    ['depends', 'Depends'],
    ['preDepends', 'Pre-Depends'],
    ['source', 'Source'],
    ['priority', 'Priority'],
    ['section', 'Section'],
  ];
  for (const [k, f] of opt) {
    const v = folded(field(p, f));
    if (v) (e as unknown as Record<string, string>)[k] = v;
  }
  const inst = field(p, 'Installed-Size');
  if (inst && /^\d+$/.test(inst)) e.installedSize = Number(inst);
  return e;
}

/** Parses a decompressed Packages stream into `index`; returns how many entries it added. */
export async function parsePackagesStream(input: Readable, index: PackageIndex, baseUri: string, origin: string, source: string): Promise<number> {
  let n = 0;
  try {
    for await (const p of parseControlStream(input, source)) {
      const e = entryFromFields(p, baseUri, origin);
      if (e) {
        index.add(e);
        n++;
      }
    }
  } catch (e) {
    throw e instanceof DistillError ? e : new DistillError(source, e instanceof Error ? e.message : String(e), { code: 'E_INPUT' });
  }
  return n;
}

/** Options of `fetchPackages`. */
export interface PackagesOptions {
  /** Default `amd64`. */
  arch?: string;
  fetch?: FetchOptions;
  /** Called when a cached index was corrupted and is fetched again. */
  onWarning?: (message: string) => void;
}

/**
 * Downloads (or takes from the cache) the Packages indexes of every component of a verified
 * release, checks them against the Release's SHA256 list, and parses them into `index`.
 */
export async function fetchPackages(release: Release, index: PackageIndex, opts: PackagesOptions = {}): Promise<void> {
  const arch = opts.arch ?? 'amd64';
  const archs = [arch];
  // As apt does: binary-all is read only when the Release lists `all` among its Architectures
  // and does not say arch:all packages are in the per-architecture indexes already.
  const listed = (field(release.fields, 'Architectures') ?? '').split(/\s+/);
  if (listed.includes('all') && field(release.fields, 'No-Support-for-Architecture-all') !== 'Packages') archs.push('all');
  for (const component of release.repo.components) {
    for (const a of archs) await fetchOne(release, index, `${component}/binary-${a}/Packages`, opts);
  }
}

/** What a download that disagrees with the InRelease's SHA256 list (hash or size) fails with. */
const SIGNED_MISMATCH = ['E_DIGEST_MISMATCH', 'E_SIZE_MISMATCH'] as const;

async function fetchOne(
release: Release, index: PackageIndex, base: string, opts: PackagesOptions): Promise<void> {
  const { repo } = release;
  const distUrl = `${repo.uri}/dists/${repo.suite}`;
  const ext = ['.xz', '.gz', ''].find((x) => release.files.has(base + x));
  if (ext === undefined) throw new DistillError(`${distUrl}/InRelease`, `the Release lists no ${base}{.xz,.gz}`, { code: 'E_NOT_FOUND' });
  const file = release.files.get(base + ext)!;
  const plain = release.files.get(base);
  const urls = [`${distUrl}/${file.path}`];
  const dir = file.path.slice(0, file.path.lastIndexOf('/'));
  // by-hash paths never change under a client while the mirror updates.
  if (release.acquireByHash) urls.unshift(`${distUrl}/${dir}/by-hash/SHA256/${file.sha256}`);
  let path: string | undefined;
  let lastErr: unknown;
  for (const url of urls) {
    try {
      path = await fetchToCache(url, 'indexes', file.sha256, {
        ...opts.fetch,
        size: file.size,
        onCorrupt: (p) => opts.onWarning?.(`cached index ${p} is corrupted; fetching it again`),
      });
      break;
    } catch (e) {
      lastErr = e;
      // A mismatch against the signed hash is not a reason to try another path.
      if (isDistillError(e, ...SIGNED_MISMATCH)) break;
    }
  }
  if (!path) {
    const e = lastErr instanceof DistillError ? lastErr : new DistillError(urls[urls.length - 1]!, String(lastErr), { code: 'E_NETWORK' });
    if (isDistillError(e, ...SIGNED_MISMATCH)) throw e.rewrap(e.input, `Packages index does not match the signed InRelease: ${e.message}`);
    throw e;
  }
  const raw = createReadStream(path);
  const decoded = ext === '.xz' ? xzDecompress(raw) : ext === '.gz' ? pipeErr(raw, createGunzip()) : raw;
  const hasher = new HashingStream();
  decoded.on('error', (e: Error) => hasher.destroy(e));
  decoded.pipe(hasher);
  const source = `${distUrl}/${file.path}`;
  await parsePackagesStream(hasher, index, repo.uri, `${repo.uri} ${repo.suite}`, source);
  if (plain && (hasher.bytes !== plain.size || hasher.hex() !== plain.sha256)) {
    throw new DistillError(source, `decompressed Packages index does not match the signed InRelease (sha256:${hasher.hex()}, ${hasher.bytes} bytes)`, { code: 'E_DIGEST_MISMATCH' });
  }
}

function pipeErr(src: Readable, t: NodeJS.ReadWriteStream & Readable): Readable {
  src.on('error', (e) => t.destroy(e));
  return src.pipe(t);
}

/** Options of `loadArchive`: which repositories, how to verify, which architecture. */
export interface ArchiveOptions extends RepositoryOptions, ReleaseOptions {
  arch?: string;
  /** Repositories to read instead of selecting them from apt sources and flags. */
  repositories?: Repository[];
}

/** A loaded archive: the repositories read, their verified releases, and the merged index. */
export interface Archive {
  repositories: Repository[];
  releases: Release[];
  index: PackageIndex;
}

/** Selects repositories, verifies their InRelease files, and loads their Packages into one index. */
export async function loadArchive(opts: ArchiveOptions = {}): Promise<Archive> {
  const repositories = opts.repositories ?? selectRepositories(opts);
  const releases = await Promise.all(repositories.map((r) => fetchRelease(r, opts)));
  const index = new PackageIndex();
  const popts: PackagesOptions = { arch: opts.arch ?? 'amd64' };
  if (opts.fetch) popts.fetch = opts.fetch;
  if (opts.onWarning) popts.onWarning = opts.onWarning;
  for (const rel of releases) await fetchPackages(rel, index, popts);
  return { repositories, releases, index };
}
