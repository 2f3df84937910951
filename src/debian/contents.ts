/**
 * Which Debian package ships a shared library: the mirror's Contents index (`Contents-<arch>.gz`
 * per component, or at the suite's root in older archives), checked against the verified
 * InRelease's SHA256 list like the Packages index, reduced to library paths (`lib*.so*` under
 * /lib, /usr/lib and their multiarch and lib64 directories) and cached by the signed hash, so a
 * suite and architecture is read once: the full index is tens of MB, the reduced one a few hundred KB.
 */
import { createReadStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { cacheDir, HashingStream, sha256Hex } from '../util/cache.ts';
import { DistillError, isDistillError } from '../util/errors.ts';
import { fetchToCache, type FetchOptions } from '../util/fetch.ts';
import { writeFileAtomic } from '../util/files.ts';
import type { Release, ReleaseFile } from './release.ts';
import { xzDecompress } from './xz.ts';

/** A library path as Contents writes it (no leading slash): usr/lib/x86_64-linux-gnu/libxml2.so.2. */
const LIBRARY_PATH = /^(usr\/)?lib(32|64|x32)?\/([a-z0-9_]+-linux-[a-z0-9_]+\/)?(lib[^/]*\.so(\.[0-9]+)*)$/;

/** Soname (file name) -> the packages that ship a library of that name, and where. */
export type SonameIndex = Map<string, { path: string; packages: string[] }[]>;

export interface ContentsOptions {
  /** Default `amd64`. */
  arch?: string;
  fetch?: FetchOptions;
  onWarning?: (message: string) => void;
}

/** One Contents line's library file and packages, or undefined when it is not a library. */
export function parseContentsLine(line: string): { path: string; name: string; packages: string[] } | undefined {
  // The path may hold spaces; the package list is the last field.
  const m = /^(.*\S)\s+(\S+)$/.exec(line);
  if (!m) return undefined;
  const lib = LIBRARY_PATH.exec(m[1]!);
  if (!lib) return undefined;
  const packages = m[2]!.split(',').map((q) => q.slice(q.lastIndexOf('/') + 1)).filter(Boolean);
  return { path: `/${m[1]}`, name: lib[4]!, packages };
}

/** Adds the library lines of a Contents stream to `index`; returns how many it kept. */
export async function parseContentsStream(input: Readable, index: SonameIndex): Promise<number> {
  let kept = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    const e = parseContentsLine(line);
    if (!e) continue;
    const list = index.get(e.name) ?? index.set(e.name, []).get(e.name)!;
    list.push({ path: e.path, packages: e.packages });
    kept++;
  }
  return kept;
}

/** The Contents files the Release lists for `arch`: per component, else the suite-wide one. */
function contentsFiles(release: Release, arch: string): { base: string; file: ReleaseFile; ext: string; plain?: ReleaseFile }[] {
  const out: { base: string; file: ReleaseFile; ext: string; plain?: ReleaseFile }[] = [];
  const bases = [...release.repo.components.map((c) => `${c}/Contents-${arch}`), `Contents-${arch}`];
  for (const base of bases) {
    const ext = ['.gz', '.xz', ''].find((x) => release.files.has(base + x));
    if (ext === undefined) continue;
    out.push({ base, file: release.files.get(base + ext)!, ext, plain: release.files.get(base) });
    if (!base.includes('/')) break;
  }
  // The suite-wide file repeats the components': read it only when no component has one.
  return out.some((x) => x.base.includes('/')) ? out.filter((x) => x.base.includes('/')) : out;
}

/** Downloads (or takes from the cache) one Contents file and returns its reduced index. */
async function fetchOne(release: Release, c: ReturnType<typeof contentsFiles>[number], opts: ContentsOptions): Promise<SonameIndex> {
  const reduced = join(cacheDir(), 'indexes', 'contents-libs', `${sha256Hex(c.file.sha256)}.json`);
  try {
    return new Map(JSON.parse(readFileSync(reduced, 'utf8')) as [string, { path: string; packages: string[] }[]][]);
  } catch {
    // Not reduced yet (or unreadable): read the signed file.
  }
  const url = `${release.repo.uri}/dists/${release.repo.suite}/${c.file.path}`;
  let path: string;
  try {
    path = await fetchToCache(url, 'indexes', c.file.sha256, { ...opts.fetch, size: c.file.size, onCorrupt: (p) => opts.onWarning?.(`cached index ${p} is corrupted; fetching it again`) });
  } catch (e) {
    if (e instanceof DistillError && isDistillError(e, 'E_DIGEST_MISMATCH', 'E_SIZE_MISMATCH')) throw e.rewrap(e.input, `Contents index does not match the signed InRelease: ${e.message}`);
    throw e;
  }
  const raw = createReadStream(path);
  const decoded = c.ext === '.xz' ? xzDecompress(raw) : c.ext === '.gz' ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (e) => decoded.destroy(e));
  const hasher = new HashingStream();
  decoded.on('error', (e: Error) => hasher.destroy(e));
  decoded.pipe(hasher);
  const index: SonameIndex = new Map();
  await parseContentsStream(hasher, index);
  if (c.plain && (hasher.bytes !== c.plain.size || hasher.hex() !== c.plain.sha256)) {
    throw new DistillError(url, `decompressed Contents index does not match the signed InRelease (sha256:${hasher.hex()}, ${hasher.bytes} bytes)`, { code: 'E_DIGEST_MISMATCH' });
  }
  mkdirSync(dirname(reduced), { recursive: true });
  await writeFileAtomic(reduced, JSON.stringify([...index]));
  return index;
}

/** The library part of every Contents index a verified release lists for `arch`, merged. */
export async function fetchContents(release: Release, opts: ContentsOptions = {}): Promise<SonameIndex> {
  const arch = opts.arch ?? 'amd64';
  const files = contentsFiles(release, arch);
  if (!files.length) throw new DistillError(`${release.repo.uri}/dists/${release.repo.suite}/InRelease`, `the Release lists no Contents-${arch} index`, { code: 'E_NOT_FOUND' });
  const out: SonameIndex = new Map();
  for (const c of files) {
    for (const [name, list] of await fetchOne(release, c, opts)) (out.get(name) ?? out.set(name, []).get(name)!).push(...list);
  }
  return out;
}

/**
 * The packages that provide each soname, multiarch directories first (what ld.so searches first
 * on Debian); a name no package ships maps to an empty list.
 */
export function packagesForSonames(index: SonameIndex, names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of names) {
    const hits = [...(index.get(n) ?? [])].sort((a, b) => Number(/-linux-/.test(b.path)) - Number(/-linux-/.test(a.path)));
    out.set(n, [...new Set(hits.flatMap((h) => h.packages))]);
  }
  return out;
}
