/**
 * Safe extraction of an image's filesystem into a host directory, applying layers in order like a
 * container runtime (whiteouts delete). Nothing is ever written outside the target, whatever the
 * layers hold:
 * - every path component is resolved by us with lstat inside the target; a symlink on the way is
 *   an error (we never follow links on the host), a non-directory on the way is replaced;
 * - `..` components (names or hard-link targets) are errors; absolute names are taken as relative
 *   to the image root, as runtimes do;
 * - symlinks are created verbatim (they may point anywhere; we never follow them);
 * - hard links must point to a regular file or symlink already extracted;
 * - files are created with O_EXCL|O_NOFOLLOW after removing whatever was there;
 * - device nodes and fifos are skipped with a warning; setuid/setgid bits are dropped (an exported
 *   tree is for reading, not for running setuid as the host user); owners are not applied unless
 *   asked (`preserveOwners`, which needs root).
 * The tree is built in a fresh temp directory beside the target and renamed into place, so a
 * failure leaves nothing behind and the target is never half written.
 */
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, mkdtemp, open, readdir, rename, rm, rmdir, symlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Image } from '../oci/image.ts';
import { ExpansionGuard } from '../oci/expansion.ts';
import { chain } from '../oci/layer.ts';
import { DistillError } from '../util/errors.ts';
import { mkdirs } from '../util/files.ts';
import { bodyFailed, readTar, type TarEntry } from './tar.ts';
import { invalidWhiteoutMessage, parseWhiteout } from './whiteout.ts';

export interface ExtractOptions {
  /** Keep setuid/setgid bits (dropped by default). */
  keepSpecialBits?: boolean;
  /** lchown entries to their image uid/gid (needs root). */
  preserveOwners?: boolean;
  onWarning?(message: string): void;
  maxEntrySize?: number;
}

export interface ExtractResult {
  dir: string;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  skipped: number;
  warnings: string[];
}

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Applies layers to one directory that only this process writes to. */
class Applier {
  readonly result: ExtractResult;
  /** Paths written by the current layer, for whiteout-same-layer rules. */
  private layerPaths = new Set<string>();
  private what = '';
  /** Directory modes applied at the end (so read-only dirs do not block their own children). */
  private readonly dirModes = new Map<string, number>();

  constructor(private readonly root: string, private readonly opts: ExtractOptions) {
    this.result = { dir: root, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, warnings: [] };
  }

  startLayer(what: string): void {
    this.what = what;
    this.layerPaths = new Set();
  }

  private warn(m: string): void {
    const w = `${this.what}: ${m}`;
    this.result.warnings.push(w);
    this.opts.onWarning?.(w);
  }

  /** Host path of `path`'s parent, creating missing directories; never follows a symlink. */
  private async parentDir(path: string, create: boolean): Promise<string | undefined> {
    const parts = path.split('/');
    parts.pop();
    let cur = this.root;
    for (let i = 0; i < parts.length; i++) {
      cur = join(cur, parts[i]!);
      const st = await lstatOrUndefined(cur);
      if (st?.isDirectory()) continue;
      if (st?.isSymbolicLink()) {
        throw new DistillError(this.what, `${path} goes through symlink ${parts.slice(0, i + 1).join('/')}; refusing to follow it`, { code: 'E_REFUSED' });
      }
      if (!create) return undefined;
      if (st) await rm(cur, { force: true });
      await mkdir(cur, { mode: 0o755 });
    }
    return cur;
  }

  private async clear(abs: string): Promise<void> {
    await rm(abs, { recursive: true, force: true });
  }

  async apply(e: TarEntry, body: Readable): Promise<void> {
    if (e.dotDot) throw new DistillError(this.what, `tar entry ${JSON.stringify(e.rawName)}${e.type === 'hardlink' ? ` (hard link to ${JSON.stringify(e.linkname)})` : ''} has a '..' component`, { code: 'E_REFUSED' });
    if (e.path === '') return;
    const wh = parseWhiteout(e.path);
    if (wh?.kind === 'invalid') throw new DistillError(this.what, invalidWhiteoutMessage(wh.path), { code: 'E_INPUT' });
    if (wh) return this.whiteout(wh.kind === 'remove' ? wh.target : wh.dir, wh.kind === 'opaque');
    if (e.type === 'char' || e.type === 'block' || e.type === 'fifo' || e.type === 'other') {
      this.result.skipped++;
      this.warn(`skipped ${e.type} ${e.path}`);
      return;
    }
    const parent = (await this.parentDir(e.path, true))!;
    // Ancestors count as this layer's too, so an opaque marker later in the layer keeps them.
    for (let i = e.path.indexOf('/'); i !== -1; i = e.path.indexOf('/', i + 1)) this.layerPaths.add(e.path.slice(0, i));
    const abs = join(parent, basename(e.path));
    const mode = this.opts.keepSpecialBits ? e.mode : e.mode & 0o1777;
    const st = await lstatOrUndefined(abs);
    this.layerPaths.add(e.path);
    switch (e.type) {
      case 'directory':
        if (st && !st.isDirectory()) await this.clear(abs);
        if (!st?.isDirectory()) {
          await mkdir(abs, { mode: 0o700 });
          this.result.dirs++;
        }
        this.dirModes.set(abs, mode);
        break;
      case 'file': {
        if (st) await this.clear(abs);
        const fh = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        // When the layer fails mid-entry (a truncated tar), readTar destroys the body under us.
        // A body destroyed before we pipe it would never settle the pipeline, leaving the handle
        // to the garbage collector (whose warning lands after our one-line error), so that case
        // closes the handle and stops here; otherwise the stream closes it, on success or error.
        if (bodyFailed(body)) {
          await fh.close();
          throw new DistillError(this.what, `the layer ended inside ${e.path}`, { code: 'E_TRUNCATED' });
        }
        await pipeline(body, fh.createWriteStream());
        await chmod(abs, mode);
        this.result.files++;
        break;
      }
      case 'symlink':
        if (st) await this.clear(abs);
        await symlink(e.linkname, abs);
        this.result.symlinks++;
        break;
      case 'hardlink': {
        const tparent = await this.parentDir(e.linkname, false);
        const target = tparent && join(tparent, basename(e.linkname));
        const tst = target ? await lstatOrUndefined(target) : undefined;
        if (!target || !tst || !(tst.isFile() || tst.isSymbolicLink())) {
          throw new DistillError(this.what, `hard link ${e.path} points to ${JSON.stringify(e.linkname)}, which is not a file in the image`, { code: 'E_REFUSED' });
        }
        if (st) await this.clear(abs);
        await link(target, abs);
        this.result.hardlinks++;
        return;
      }
    }
    if (this.opts.preserveOwners) await lchown(abs, e.uid, e.gid);
  }

  private async whiteout(path: string, opaque: boolean): Promise<void> {
    const parent = await this.parentDir(path === '' ? 'x' : path, false);
    if (parent === undefined) return;
    if (opaque) {
      const abs = path === '' ? this.root : join(parent, basename(path));
      const st = await lstatOrUndefined(abs);
      if (st?.isSymbolicLink()) throw new DistillError(this.what, `opaque whiteout of ${path} goes through symlink ${path}; refusing to follow it`, { code: 'E_REFUSED' });
      if (st?.isDirectory()) await this.clearLower(abs, path);
      return;
    }
    if (this.layerPaths.has(path)) return;
    await this.clear(join(parent, basename(path)));
  }

  private async clearLower(abs: string, rel: string): Promise<void> {
    for (const name of await readdir(abs)) {
      const r = rel ? `${rel}/${name}` : name;
      const a = join(abs, name);
      if (this.layerPaths.has(r)) {
        const st = await lstat(a);
        if (st.isDirectory()) await this.clearLower(a, r);
        continue;
      }
      await this.clear(a);
    }
  }

  /** Directory modes last, deepest first, so a 0555 directory did not block its own children. */
  async finish(): Promise<void> {
    const dirs = [...this.dirModes].sort((a, b) => b[0].length - a[0].length);
    for (const [d, m] of dirs) {
      const st = await lstatOrUndefined(d);
      if (st?.isDirectory()) await chmod(d, m);
    }
    await chmod(this.root, 0o755);
  }
}

/** Extracts the final filesystem of `image` into `dir`, which must not exist or be empty. */
export async function extractImage(image: Image, dir: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const target = resolve(dir);
  const existing = await lstatOrUndefined(target);
  if (existing) {
    if (!existing.isDirectory()) throw new DistillError(dir, 'exists and is not a directory', { code: 'E_INPUT' });
    if ((await readdir(target)).length > 0) throw new DistillError(dir, 'directory is not empty; export needs a new or empty directory', { code: 'E_REFUSED' });
  }
  const parent = dirname(target);
  await mkdirs(parent);
  const tmp = await mkdtemp(join(parent, `.${basename(target)}.distill-`));
  try {
    const applier = new Applier(tmp, opts);
    // What all layers together write is held to the expansion limits, checked as it streams.
    let before = 0;
    let compressed = 0;
    for (const layer of await image.layers()) {
      const what = `layer ${layer.digest}`;
      applier.startLayer(what);
      compressed += layer.size;
      const guard = chain(await layer.uncompressed(), new ExpansionGuard(what, compressed, before));
      await readTar(guard, { what, maxEntrySize: opts.maxEntrySize }, (e, body) => applier.apply(e, body));
      before += guard.bytes;
    }
    await applier.finish();
    if (existing) await rmdir(target);
    await rename(tmp, target);
    applier.result.dir = target;
    return applier.result;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
