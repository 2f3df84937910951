/**
 * The merged filesystem of an image, computed in ONE streaming pass over its layers: each layer's
 * verified tar is read once, whiteouts applied, and only headers kept (a tree of path components),
 * never file contents. Callers that need contents (catalogers) get them through `wantContent` /
 * `onContent` during the same pass. The pass also counts, per layer, what it added, changed and
 * removed, and how many bytes of earlier file versions it made unreachable (wasted bytes).
 */
import type { Readable } from 'node:stream';
import { ExpansionGuard } from '../oci/expansion.ts';
import type { Digest } from '../oci/digest.ts';
import type { Image, Layer } from '../oci/image.ts';
import { DistillError } from '../util/errors.ts';
import { readTar, type EntryType, type TarEntry } from './tar.ts';
import { invalidWhiteoutMessage, parseWhiteout } from './whiteout.ts';

/** A path's final entry in the merged filesystem. */
export interface FsEntry {
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname: string;
  layerIndex: number;
  layerDigest: Digest;
}

export interface LayerStats {
  index: number;
  digest: Digest;
  diffId: Digest;
  /** Bytes of the uncompressed tar stream. */
  tarBytes: number;
  /** Sum of the sizes of regular files in this layer. */
  fileBytes: number;
  /** Non-directory entries at paths no lower layer had. */
  added: number;
  /** Non-directory entries replacing a lower layer's entry. */
  modified: number;
  /** Non-directory entries of lower layers removed by this layer's whiteouts. */
  removed: number;
  /** Bytes of lower-layer file versions this layer overwrote or removed. */
  wastedBytes: number;
}

/** A path whose earlier versions were overwritten or removed. */
export interface WastedPath {
  path: string;
  /** How many versions were lost. */
  count: number;
  bytes: number;
}

export interface MergedFs {
  /** path -> final entry; directories included; whiteouts never appear. */
  entries: Map<string, FsEntry>;
  layers: LayerStats[];
  /** Every regular file version in every layer, summed. */
  totalFileBytes: number;
  wastedBytes: number;
  wasted: Map<string, WastedPath>;
  /** Odd but tolerated things (e.g. an entry written through a symlinked directory). */
  warnings: string[];
}

export interface WalkOptions {
  /** Whether to hand the content of this regular file to `onContent`. */
  wantContent?(path: string, entry: FsEntry): boolean;
  /** Receives the content of wanted files in layer order; the body is drained if left unread. */
  onContent?(path: string, layerIndex: number, body: Readable, entry: FsEntry): Promise<void>;
  /** Called for every entry as read (whiteouts excluded), before it is applied. */
  onEntry?(entry: TarEntry, layerIndex: number): void;
  maxEntrySize?: number;
}

interface Node {
  entry?: FsEntry;
  children?: Map<string, Node>;
  /** Layer index that last wrote this node or created it implicitly. */
  touched: number;
}

/** Counts bytes passing through. */
const isDir = (n: Node) => n.entry === undefined || n.entry.type === 'directory';

/** Builds the merged view incrementally; `walkImage` feeds it, tests may feed it directly. */
export class MergedBuilder {
  private readonly root: Node = { children: new Map(), touched: -1 };
  readonly layers: LayerStats[] = [];
  totalFileBytes = 0;
  wastedBytes = 0;
  readonly wasted = new Map<string, WastedPath>();
  readonly warnings: string[] = [];
  private cur!: LayerStats;

  startLayer(layer: Pick<Layer, 'digest' | 'diffId'>): void {
    this.cur = { index: this.layers.length, digest: layer.digest, diffId: layer.diffId, tarBytes: 0, fileBytes: 0, added: 0, modified: 0, removed: 0, wastedBytes: 0 };
    this.layers.push(this.cur);
  }

  private what(): string {
    return `layer ${this.cur.digest}`;
  }

  private waste(e: FsEntry): void {
    if (e.type !== 'file' || e.size === 0) return;
    this.wastedBytes += e.size;
    this.cur.wastedBytes += e.size;
    const w = this.wasted.get(e.path) ?? { path: e.path, count: 0, bytes: 0 };
    w.count++;
    w.bytes += e.size;
    this.wasted.set(e.path, w);
  }

  /** Drops a whole subtree of lower-layer entries, counting what it held. */
  private drop(n: Node, removal: boolean): void {
    if (n.entry) {
      this.waste(n.entry);
      if (removal && n.entry.type !== 'directory') this.cur.removed++;
    }
    if (n.children) for (const c of n.children.values()) this.drop(c, removal);
  }

  /** The node of a directory path, created implicitly; errors when a symlink is in the way. */
  private dirNode(parts: string[], full: string): Node {
    let n = this.root;
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      let c = n.children!.get(name);
      if (c && !isDir(c)) {
        if (c.entry!.type === 'symlink') {
          const via = parts.slice(0, i + 1).join('/');
          this.warnings.push(`${this.what()}: ${full} is written through symlink ${via}; kept as a path of its own`);
        }
        // A non-directory in the way is replaced by a directory, as extraction would.
        this.drop(c, false);
        c = undefined;
      }
      if (!c) {
        c = { children: new Map(), touched: this.cur.index };
        n.children!.set(name, c);
      }
      c.children ??= new Map();
      // Marked as this layer's, so an opaque marker later in the same layer keeps the path.
      c.touched = this.cur.index;
      n = c;
    }
    return n;
  }

  private lookup(path: string): Node | undefined {
    let n: Node | undefined = this.root;
    for (const p of path.split('/')) {
      n = n?.children?.get(p);
      if (!n) return undefined;
    }
    return n;
  }

  /** Applies one tar entry of the current layer. */
  add(e: TarEntry): FsEntry | undefined {
    if (e.dotDot) throw new DistillError(this.what(), `tar entry ${JSON.stringify(e.rawName)}${e.type === 'hardlink' ? ` (hard link to ${JSON.stringify(e.linkname)})` : ''} has a '..' component`, { code: 'E_REFUSED' });
    if (e.path === '') return undefined; // the root directory itself
    const wh = parseWhiteout(e.path);
    if (wh?.kind === 'invalid') throw new DistillError(this.what(), invalidWhiteoutMessage(wh.path), { code: 'E_INPUT' });
    if (wh) {
      this.whiteout(wh.kind === 'remove' ? wh.target : wh.dir, wh.kind === 'opaque');
      return undefined;
    }
    if (e.type === 'hardlink') {
      const t = this.lookup(e.linkname);
      if (!e.linkname || !t?.entry || t.entry.type === 'directory') {
        throw new DistillError(this.what(), `hard link ${e.path} points to ${JSON.stringify(e.linkname)}, which is not a file in the image`, { code: 'E_REFUSED' });
      }
    }
    const parts = e.path.split('/');
    const name = parts.pop()!;
    const parent = this.dirNode(parts, e.path);
    const entry: FsEntry = {
      path: e.path,
      type: e.type,
      size: e.type === 'file' ? e.size : 0,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      linkname: e.linkname,
      layerIndex: this.cur.index,
      layerDigest: this.cur.digest,
    };
    if (e.type === 'file') {
      this.totalFileBytes += e.size;
      this.cur.fileBytes += e.size;
    }
    const old = parent.children!.get(name);
    if (old) {
      const oldDir = isDir(old);
      if (e.type === 'directory' && oldDir) {
        old.entry = entry;
        old.touched = this.cur.index;
        return entry;
      }
      // Same layer writing the same path twice (duplicate entries): the last one wins.
      if (old.entry && old.entry.type !== 'directory' && e.type !== 'directory') {
        if (old.entry.layerIndex !== this.cur.index) this.cur.modified++;
      } else if (e.type !== 'directory') this.cur.added++;
      this.drop({ ...old, entry: old.entry }, false);
    } else if (e.type !== 'directory') this.cur.added++;
    parent.children!.set(name, { entry, touched: this.cur.index, ...(e.type === 'directory' ? { children: new Map() } : {}) });
    return entry;
  }

  private whiteout(path: string, opaque: boolean): void {
    const parts0 = path.split('/');
    for (let i = 1; i < parts0.length; i++) {
      const via = parts0.slice(0, i).join('/');
      if (this.lookup(via)?.entry?.type === 'symlink') {
        this.warnings.push(`${this.what()}: whiteout of ${path} goes through symlink ${via}; ignored`);
        return;
      }
    }
    const n = path === '' ? this.root : this.lookup(path);
    if (!n) return;
    if (opaque) {
      if (n.entry?.type === 'symlink') this.warnings.push(`${this.what()}: opaque whiteout of ${path} goes through symlink ${path}; ignored`);
      if (!isDir(n)) return;
      this.clearLower(n);
      return;
    }
    const parts = path.split('/');
    const name = parts.pop()!;
    const parent = parts.length ? this.lookup(parts.join('/')) : this.root;
    // Whiteouts never hide entries of their own layer.
    if (n.touched === this.cur.index && n.entry?.layerIndex === this.cur.index) return;
    this.drop(n, true);
    parent?.children?.delete(name);
  }

  /** Removes everything under `n` that lower layers put there (opaque directory). */
  private clearLower(n: Node): void {
    for (const [k, c] of n.children ?? []) {
      if (c.touched === this.cur.index) {
        if (isDir(c)) this.clearLower(c);
        continue;
      }
      this.drop(c, true);
      n.children!.delete(k);
    }
  }

  /** The final view. */
  finish(): MergedFs {
    const entries = new Map<string, FsEntry>();
    const visit = (n: Node, prefix: string) => {
      for (const [k, c] of n.children ?? []) {
        const p = prefix ? `${prefix}/${k}` : k;
        if (c.entry) entries.set(p, c.entry);
        else {
          const l = this.layers[c.touched];
          entries.set(p, { path: p, type: 'directory', size: 0, mode: 0o755, uid: 0, gid: 0, linkname: '', layerIndex: c.touched, layerDigest: l?.digest ?? ('' as Digest) });
        }
        visit(c, p);
      }
    };
    visit(this.root, '');
    return { entries, layers: this.layers, totalFileBytes: this.totalFileBytes, wastedBytes: this.wastedBytes, wasted: this.wasted, warnings: this.warnings };
  }

  /** Records the tar byte count of the current layer. */
  setTarBytes(n: number): void {
    this.cur.tarBytes = n;
  }
}

/**
 * Walks every layer of `image` once, in order, and returns the merged filesystem. Each layer is
 * read through `uncompressed()`, so a wrong digest or diff_id fails the walk naming the layer.
 */
export async function walkImage(image: Image, opts: WalkOptions = {}): Promise<MergedFs> {
  const b = new MergedBuilder();
  const layers = await image.layers();
  // The image as a whole is held to the expansion limits too, not only each layer.
  let before = 0;
  let compressed = 0;
  for (const layer of layers) {
    b.startLayer(layer);
    const what = `layer ${layer.digest}`;
    compressed += layer.size;
    const counter = new ExpansionGuard(what, compressed, before);
    const src = await layer.uncompressed();
    src.on('error', (e) => counter.destroy(e));
    src.pipe(counter);
    const index = b.layers.length - 1;
    await readTar(counter, { what, maxEntrySize: opts.maxEntrySize }, async (e, body) => {
      opts.onEntry?.(e, index);
      const entry = b.add(e);
      if (entry && entry.type === 'file' && opts.onContent && opts.wantContent?.(entry.path, entry)) {
        await opts.onContent(entry.path, index, body, entry);
      }
    });
    // tar-stream stops at the end-of-archive blocks; count any trailing padding too.
    await new Promise<void>((resolve) => {
      if (counter.readableEnded || counter.destroyed) return resolve();
      counter.on('end', resolve).on('close', resolve).resume();
    });
    b.setTarBytes(counter.bytes);
    before += counter.bytes;
  }
  return b.finish();
}
