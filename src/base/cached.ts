/**
 * Default bases for `distill build`, as ko and jib have them: the distroless base a build needs is
 * built once with `buildBase` into the cache, `<cache>/bases/<flavour>[-node<major>][+<add hash>]/`
 * (a base tailored with extra Debian packages has an entry of its own), and reused:
 *
 *   layout/             OCI layout, tag nonroot
 *   distill.lock.json   what it was built from; a rebuild (of a damaged entry) reads it, so the
 *                       same packages come back
 *   complete.json       written last: flavour, node major and the nonroot manifest digest
 *
 * An entry counts only when its marker, layout, tag and blobs all check out. It is built in a temp
 * dir beside it and renamed into place, so no reader sees half an entry. Two runs that want the
 * same base take turns through `<key>.lock`, created with O_EXCL; the holder touches it every few
 * seconds, and a lock whose process is gone (same host) or that nobody has touched for minutes is
 * broken. Hand-written: no file-lock library is among the dependencies, and what is needed is small.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArchiveOptions } from '../debian/packages.ts';
import { readLayout, writeLayout } from '../oci/transports/layout.ts';
import { cacheDir } from '../util/cache.ts';
import { DistillError } from '../util/errors.ts';
import { buildBase } from './build.ts';
import { flavour as getFlavour, type FlavourName } from './flavours.ts';
import { readLockfile } from './lockfile.ts';

/** The tag a cached base carries: what `distill build` puts apps on. */
export const CACHED_TAG = 'nonroot';
const LOCKFILE = 'distill.lock.json';
const MARKER = 'complete.json';
const LAYOUT = 'layout';

/** Touch interval of a held lock, and the age after which an untouched lock is broken. */
const HEARTBEAT_MS = 5_000;
const STALE_MS = 120_000;
const POLL_MS = 250;

export interface EnsureBaseRequest {
  flavour: FlavourName;
  /** Node.js major of the nodejs flavour (default: the one `distill base nodejs` uses). */
  node?: string;
  /** Debian packages added to the flavour's (`distill base --add`): a tailored base, cached apart. */
  add?: string[];
  /** Mirror, suite, keyring and freshness options of the apt client, as `buildBase` takes them. */
  archive?: ArchiveOptions;
  /** One line per phase: building, waiting for another run. */
  onProgress?: (msg: string) => void;
  /** Warnings of the apt client (default: printed on stderr by `buildBase`). */
  onWarning?: (msg: string) => void;
}

export interface CachedBase {
  /** `oci:<dir>/layout:nonroot`. */
  ref: string;
  /** The cache entry: `<cache>/bases/<flavour>[-node<major>]`. */
  dir: string;
  /** Its lockfile. */
  lock: string;
  /** Manifest digest of the nonroot image. */
  digest: string;
  /** True when this call built it, false when it was in the cache. */
  built: boolean;
}

interface Marker {
  flavour: string;
  node: string | null;
  /** Packages added to the flavour's, sorted (absent on an untailored base). */
  add?: string[];
  digest: string;
}

/** Cache key of a base: the flavour, plus the Node.js major for nodejs, plus a hash of the added packages. */
export function cacheKey(flavour: FlavourName, node: string | null, add: readonly string[] = []): string {
  const key = node ? `${flavour}-node${node}` : flavour;
  return add.length ? `${key}+${createHash('sha256').update(add.join('\n')).digest('hex').slice(0, 12)}` : key;
}

/** The Node.js major a request means, or null for flavours without Node. */
function nodeMajorOf(req: EnsureBaseRequest): string | null {
  const fl = getFlavour(req.flavour);
  if (!fl.node) return null;
  const major = req.node ?? String(fl.nodeMajor ?? 22);
  // It names a directory, and a major (not a range) is what keeps one entry per runtime.
  if (!/^\d{1,3}$/.test(major)) throw new DistillError(`node ${major}`, 'expected a Node.js major version such as 22', { code: 'E_USAGE' });
  return major;
}

/** The digest of a complete entry at `dir`, or undefined when anything of it is missing or wrong. */
export async function completeEntry(dir: string, flavour: string, node: string | null, add: readonly string[] = []): Promise<string | undefined> {
  try {
    const marker = JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as Marker;
    if (marker.flavour !== flavour || marker.node !== node || !existsSync(join(dir, LOCKFILE))) return undefined;
    if ((marker.add ?? []).join('\n') !== add.join('\n')) return undefined;
    const layout = join(dir, LAYOUT);
    const image = await readLayout(layout, { tag: CACHED_TAG });
    if ((await image.digest()) !== marker.digest) return undefined;
    const m = await image.manifest();
    for (const d of [m.config, ...m.layers]) {
      if (statSync(join(layout, 'blobs', 'sha256', d.digest.replace(/^sha256:/, ''))).size !== d.size) return undefined;
    }
    return marker.digest;
  } catch {
    return undefined;
  }
}

/** Returns the cached base `req` names, building it into the cache first when it is not there. */
export async function ensureBase(req: EnsureBaseRequest): Promise<CachedBase> {
  const node = nodeMajorOf(req);
  const add = [...new Set(req.add ?? [])].sort();
  const key = cacheKey(req.flavour, node, add);
  const root = join(cacheDir(), 'bases');
  const dir = join(root, key);
  const found = (digest: string, built: boolean): CachedBase => ({ ref: `oci:${join(dir, LAYOUT)}:${CACHED_TAG}`, dir, lock: join(dir, LOCKFILE), digest, built });

  const cached = await completeEntry(dir, req.flavour, node, add);
  if (cached) return found(cached, false);

  mkdirSync(root, { recursive: true });
  const label = `${node ? `${req.flavour} (node ${node})` : req.flavour}${add.length ? ` + ${add.join(', ')}` : ''}`;
  const release = await acquireLock(join(root, `${key}.lock`), () => req.onProgress?.(`waiting for another distill run building the ${label} base in ${dir}`));
  let tmp: string | undefined;
  try {
    // It may have been built while this run waited for the lock.
    const now = await completeEntry(dir, req.flavour, node, add);
    if (now) return found(now, false);
    removeOrphans(root, key);
    tmp = join(root, `.${key}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(tmp);
    const kept = usableLock(join(dir, LOCKFILE), req.flavour);
    if (kept) copyFileSync(kept, join(tmp, LOCKFILE));
    req.onProgress?.(`building the ${label} base into the cache${kept ? ' from its lockfile' : ''}: ${dir}`);
    const result = await buildBase({
      flavour: req.flavour,
      ...(node ? { node } : {}),
      ...(add.length ? { add } : {}),
      lock: join(tmp, LOCKFILE),
      tags: [CACHED_TAG],
      progress: false,
      ...(req.archive ? { archive: req.archive } : {}),
      ...(req.onWarning ? { onWarning: req.onWarning } : {}),
    });
    const image = result.images[CACHED_TAG]!;
    await writeLayout(image, join(tmp, LAYOUT), CACHED_TAG);
    const digest = await image.digest();
    const marker: Marker = { flavour: req.flavour, node, ...(add.length ? { add } : {}), digest };
    writeFileSync(join(tmp, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    if (!replaceEntry(root, key, tmp)) {
      // Another run put a base there without our lock (its lock was wrongly taken as stale): use it.
      const theirs = await completeEntry(dir, req.flavour, node, add);
      if (!theirs) throw new DistillError(dir, 'cannot put the built base into the cache: another entry is in the way', { code: 'E_INPUT' });
      return found(theirs, false);
    }
    tmp = undefined;
    return found(digest, true);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    release();
  }
}

/** The lockfile of a (damaged) entry when it is valid and for `flavour`, so a rebuild reuses it. */
function usableLock(path: string, flavour: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readLockfile(path).flavour === flavour ? path : undefined;
  } catch {
    return undefined; // unreadable: resolve afresh rather than fail on a broken cache
  }
}

/** Moves `tmp` to `root/key`, the old entry (damaged, or absent) out of the way first. False when another one won. */
function replaceEntry(root: string, key: string, tmp: string): boolean {
  const dir = join(root, key);
  let old: string | undefined;
  if (existsSync(dir)) {
    old = join(root, `.${key}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
    renameSync(dir, old);
  }
  try {
    renameSync(tmp, dir);
    return true;
  } catch (e) {
    if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    return false;
  } finally {
    if (old) rmSync(old, { recursive: true, force: true });
  }
}

/** Removes temp and old dirs of `key` left by runs that died (their pid is gone). */
function removeOrphans(root: string, key: string): void {
  const re = new RegExp(`^\\.${key.replace(/[.+]/g, '\\$&')}\\.(tmp|old)-(\\d+)-[0-9a-f]+$`);
  for (const name of readdirSync(root)) {
    const m = re.exec(name);
    if (m && !alive(Number(m[2]))) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Whether process `pid` exists on this host (EPERM: it does, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

function readRaw(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether the lock holding `raw` (its bytes) at `path` belongs to nobody any more. */
function isStale(path: string, raw: string): boolean {
  let mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    return false; // gone: the next attempt takes it
  }
  if (Date.now() - mtime > STALE_MS) return true;
  try {
    const owner = JSON.parse(raw) as LockOwner;
    return owner.host === hostname() && !alive(owner.pid);
  } catch {
    return false; // being written right now
  }
}

/**
 * Breaks a stale lock: moved aside first and its bytes compared, so a lock another waiter has
 * just broken and taken again is put back instead of deleted.
 */
function breakLock(path: string, raw: string): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  if (readRaw(aside) !== raw) {
    try {
      linkSync(aside, path);
    } catch {
      /* a third run holds it now */
    }
  }
  rmSync(aside, { force: true });
}

/** Takes the lock at `path`, waiting (and calling `onWait` once) while a live run holds it. */
export async function acquireLock(path: string, onWait: () => void = () => undefined): Promise<() => void> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const mine = JSON.stringify(owner);
  let waited = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, mine);
      } finally {
        closeSync(fd);
      }
      const beat = setInterval(() => {
        try {
          const t = new Date();
          utimesSync(path, t, t);
        } catch {
          /* broken by someone who thought us dead; the entry's rename settles it */
        }
      }, HEARTBEAT_MS);
      beat.unref();
      return () => {
        clearInterval(beat);
        if (readRaw(path) === mine) rmSync(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const raw = readRaw(path);
    if (raw !== undefined && isStale(path, raw)) {
      breakLock(path, raw);
      continue;
    }
    if (!waited) {
      waited = true;
      onWait();
    }
    await sleep(POLL_MS);
  }
}
