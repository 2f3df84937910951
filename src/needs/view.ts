/**
 * Filesystem views the ELF resolver (src/elf/resolve.ts) runs against: an image's merged rootfs
 * read in one streaming pass (ELF files captured with bounded memory, a few small configuration
 * files kept), an app directory on disk (ELF files read by range), and one over the other (an app
 * directory placed in a base image).
 */
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Image } from '../oci/image.ts';
import { walkImage, type FsEntry } from '../layers/filesystem.ts';
import { ElfCapture, normal, readElfObject, type ElfObject, type FsView, type ViewNode } from '../elf/index.ts';
import { dotnetIcuHint, HintScanner, javaCacertsHint, type Hint } from './hints.ts';

/** A view plus what was learned while reading it. */
export interface CollectedView {
  view: FsView;
  /** Every ELF file, by real path. */
  elves: Map<string, ElfObject>;
  /** Likely needs found in the app's files (never in the system library trees). */
  hints: Hint[];
  /** The small text files kept (ld.so.conf, passwd, group, nsswitch.conf), by path. */
  texts: Map<string, string>;
}

/** Small files whose text the resolver and the completeness checks read. */
export function wantText(path: string, size: number): boolean {
  if (size > 256 * 1024) return false;
  return /^\/etc\/(ld\.so\.conf(\.d\/[^/]+)?|passwd|group|nsswitch\.conf)$/.test(path) || /\.runtimeconfig\.json$/.test(path);
}

/** Trees of the distribution's own files, where hint strings are the system's, not the app's. */
const SYSTEM_TREE = /^\/(usr\/(lib|lib64|libexec|bin|sbin|share|local\/lib)|lib|lib64|lib32|bin|sbin|etc|var\/lib|nodejs)\//;

/** Whether the bytes of the file at `path` are scanned for hints. */
export function isAppFile(path: string): boolean {
  return !SYSTEM_TREE.test(path);
}

/** Hints that come from files other than ELF bytes (runtimeconfig.json, libjvm.so). */
function fileHints(path: string, texts: Map<string, string>, elf: ElfObject | undefined): Hint[] {
  const out: Hint[] = [];
  const text = texts.get(path);
  if (text !== undefined && path.endsWith('.runtimeconfig.json')) {
    const h = dotnetIcuHint(path, text);
    if (h) out.push(h);
  }
  if (elf && posix.basename(path) === 'libjvm.so') out.push(javaCacertsHint(path));
  return out;
}

/** A closure collector for a walk over layers: feed it wanted bodies, then finish with the merged entries. */
export interface ClosureCollector {
  /** Whether the file's body is wanted (any regular file that could be ELF or a kept text). */
  want(size: number): boolean;
  /** Reads one file version's body as far as it needs (to its end when `tap` is given: `tap` sees every chunk, another collector's share); a stream is left flowing, never destroyed. */
  consume(path: string, layer: number, body: AsyncIterable<unknown>, size: number, tap?: (chunk: Buffer) => void): Promise<void>;
  /** The view of the final filesystem, given the walk's merged entries (paths without the leading slash). */
  finish(entries: Map<string, FsEntry>): CollectedView;
}

/** A collector that captures ELF files, hint strings and small texts while a walk streams the layers. */
export function closureCollector(): ClosureCollector {
  const elves = new Map<string, { layer: number; obj: ElfObject; hints: Hint[] }>();
  const texts = new Map<string, { layer: number; text: string }>();
  return {
    want: (size) => size >= 4,
    async consume(path, layer, body, size, tap) {
      const cap = new ElfCapture(size);
      const text = wantText(path, size) ? ([] as Buffer[]) : undefined;
      const app = isAppFile(path);
      let scanner: HintScanner | undefined;
      await readBody(body, (c) => {
        tap?.(c);
        const wasDone = cap.done;
        cap.push(c);
        text?.push(c);
        // Hints are looked for in the app's ELF files only; the capture tells ELF apart at once.
        if (!scanner && !wasDone && app && cap.isElf) scanner = new HintScanner(path);
        scanner?.push(c);
        return tap !== undefined || text !== undefined || scanner !== undefined || !cap.done;
      });
      if (text) texts.set(path, { layer, text: Buffer.concat(text).toString('utf8') });
      const obj = cap.finish(path);
      if (obj) elves.set(path, { layer, obj, hints: scanner?.hints() ?? [] });
      else elves.delete(path);
    },
    finish: (entries) => finishView(entries, elves, texts),
  };
}

/**
 * Feeds `body`'s chunks to `onChunk` until it returns false or the body ends. A stream is left
 * flowing, never destroyed, when `onChunk` has seen enough: its reader (the tar walk) drains the
 * rest without a call per chunk here, and waits for its end before the next entry.
 */
async function readBody(body: AsyncIterable<unknown>, onChunk: (chunk: Buffer) => boolean): Promise<void> {
  const s = body as Partial<Readable>;
  if (typeof s.on !== 'function' || typeof s.removeListener !== 'function') {
    let more = true;
    for await (const c of body) if (more) more = onChunk(c as Buffer);
    return;
  }
  const stream = s as Readable;
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      stream.removeListener('close', onClose);
    };
    const onData = (c: Buffer) => {
      if (onChunk(c)) return;
      stop();
      resolve();
    };
    const onEnd = () => {
      stop();
      resolve();
    };
    const onError = (e: Error) => {
      stop();
      reject(e);
    };
    // Destroyed without an error (the walk gave up): as for await would, fail rather than hang.
    const onClose = () => {
      stop();
      reject(new Error('premature close'));
    };
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    stream.on('data', onData);
  });
}

/** The view over the walk's final entries: only file versions the final filesystem holds count. */
function finishView(entries: Map<string, FsEntry>, elves: Map<string, { layer: number; obj: ElfObject; hints: Hint[] }>, texts: Map<string, { layer: number; text: string }>): CollectedView {
  const final = (path: string, layer: number) => {
    const e = entries.get(path.slice(1));
    return e?.type === 'file' && e.layerIndex === layer;
  };
  const elfMap = new Map<string, ElfObject>();
  const hints: Hint[] = [];
  const textMap = new Map<string, string>();
  for (const [p, t] of texts) if (final(p, t.layer)) textMap.set(p, t.text);
  for (const [p, x] of elves) {
    if (!final(p, x.layer)) continue;
    elfMap.set(p, x.obj);
    hints.push(...x.hints);
  }
  for (const p of textMap.keys()) hints.push(...fileHints(p, textMap, undefined));
  for (const [p, o] of elfMap) hints.push(...fileHints(p, textMap, o));
  let dirs: Map<string, string[]> | undefined;
  const view: FsView = {
    node(path) {
      if (path === '/') return { type: 'directory' };
      const e = entries.get(path.slice(1));
      if (!e) return undefined;
      return nodeOf(e.type, e.type === 'hardlink' ? `/${e.linkname}` : e.linkname);
    },
    elf: (path) => elfMap.get(path),
    text: (path) => textMap.get(path),
    list(dir) {
      if (!dirs) {
        dirs = new Map();
        for (const k of entries.keys()) {
          const parent = `/${posix.dirname(k)}`.replace(/^\/\.$/, '/');
          (dirs.get(parent) ?? dirs.set(parent, []).get(parent)!).push(posix.basename(k));
        }
      }
      return dirs.get(dir) ?? [];
    },
  };
  return { view, elves: elfMap, hints, texts: textMap };
}

/** Reads the merged rootfs of `image` in one pass over its layers. */
export async function imageView(image: Image): Promise<CollectedView> {
  const c = closureCollector();
  const merged = await walkImage(image, {
    wantContent: (_p, e) => c.want(e.size),
    onContent: (p, layer, body, e) => c.consume(`/${p}`, layer, body, e.size),
  });
  return c.finish(merged.entries);
}

function nodeOf(type: string, linkname: string): ViewNode {
  if (type === 'file' || type === 'directory' || type === 'symlink' || type === 'hardlink') return { type, linkname };
  return { type: 'other' };
}

/** Most files an app directory walk visits, so a mistaken `/` cannot run for ever. */
const MAX_DIR_FILES = 500_000;

/**
 * Reads an app directory as if it were mounted at `at` (default `/`): every ELF file by range,
 * hints from the bytes of each (all of an app directory is the app's).
 */
export async function dirView(dir: string, at = '/'): Promise<CollectedView> {
  const nodes = new Map<string, ViewNode>();
  const children = new Map<string, string[]>();
  const elves = new Map<string, ElfObject>();
  const texts = new Map<string, string>();
  const hints: Hint[] = [];
  const mount = normal(at);
  const stack: [string, string][] = [[dir, mount]];
  for (let p = mount; p !== '/'; p = posix.dirname(p)) {
    nodes.set(p, { type: 'directory' });
    children.set(posix.dirname(p), [posix.basename(p)]);
  }
  nodes.set('/', { type: 'directory' });
  if (statSync(dir).isFile()) {
    // One file placed at `at` (a build's binary): the same reading as a file inside a directory.
    stack.length = 0;
    nodes.set(mount, { type: 'file' });
    await addFile(dir, mount);
  }
  /** Reads one file's ELF object and hints, when it is ELF. */
  async function addFile(real: string, virt: string): Promise<void> {
    if (statSync(real).size < 52) return;
    const obj = readElfObject(real, virt);
    if (!obj) return;
    elves.set(virt, obj);
    const scanner = new HintScanner(virt);
    for await (const c of createReadStream(real, { highWaterMark: 1 << 20 })) scanner.push(c as Buffer);
    hints.push(...scanner.hints(), ...fileHints(virt, texts, obj));
  }
  let count = 0;
  while (stack.length) {
    const [real, virt] = stack.pop()!;
    const names = readdirSync(real).sort();
    children.set(virt, names);
    for (const name of names) {
      if (++count > MAX_DIR_FILES) return { view: mapView(nodes, elves, texts, children), elves, hints, texts };
      const r = join(real, name);
      const v = virt === '/' ? `/${name}` : `${virt}/${name}`;
      const st = lstatSync(r);
      if (st.isSymbolicLink()) nodes.set(v, { type: 'symlink', linkname: readlinkSync(r) });
      else if (st.isDirectory()) {
        nodes.set(v, { type: 'directory' });
        stack.push([r, v]);
      } else if (st.isFile()) {
        nodes.set(v, { type: 'file' });
        if (wantText(v, st.size)) texts.set(v, readFileSync(r, 'utf8'));
        await addFile(r, v);
      } else nodes.set(v, { type: 'other' });
    }
  }
  for (const p of texts.keys()) hints.push(...fileHints(p, texts, undefined));
  return { view: mapView(nodes, elves, texts, children), elves, hints, texts };
}

function mapView(nodes: Map<string, ViewNode>, elves: Map<string, ElfObject>, texts: Map<string, string>, children: Map<string, string[]>): FsView {
  return { node: (p) => nodes.get(p), elf: (p) => elves.get(p), text: (p) => texts.get(p), list: (d) => children.get(d) ?? [] };
}

/** `upper` over `lower`: a path `upper` holds hides `lower`'s (as a layer on a base image). */
export function overlay(lower: CollectedView, upper: CollectedView): CollectedView {
  const u = upper.view;
  const l = lower.view;
  const view: FsView = {
    node: (p) => u.node(p) ?? l.node(p),
    elf: (p) => (u.node(p) ? u.elf(p) : l.elf(p)),
    text: (p) => (u.node(p) ? u.text(p) : l.text(p)),
    list: (d) => [...new Set([...l.list(d), ...u.list(d)])].sort(),
  };
  const elves = new Map([...lower.elves].filter(([p]) => !u.node(p)));
  for (const [p, o] of upper.elves) elves.set(p, o);
  const texts = new Map([...lower.texts].filter(([p]) => !u.node(p)));
  for (const [p, t] of upper.texts) texts.set(p, t);
  return { view, elves, hints: [...lower.hints.filter((h) => !u.node(h.evidence.path)), ...upper.hints], texts };
}
