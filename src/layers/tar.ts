/**
 * Streaming tar reader over tar-stream 3: one callback per entry with a normalised header, the
 * body always drained (so a caller that ignores it cannot stall the stream), PAX and GNU long
 * names resolved by tar-stream, and implausible declared sizes refused before anything reads them.
 */
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { asDistillError, DistillError } from '../util/errors.ts';

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

/** A tar header as the rest of distill sees it. */
export interface TarEntry {
  /** Normalised path: no leading `./` or `/`, no `//` or `.` components, no trailing `/`; '' is the root. */
  path: string;
  /** The member name exactly as stored. */
  rawName: string;
  type: EntryType;
  size: number;
  /** Permission and special bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Link target: normalised like `path` for hard links, verbatim for symlinks. */
  linkname: string;
  mtime: number;
  /** True when `path` (or a hard link's target) has a `..` component. */
  dotDot: boolean;
}

/** Largest entry we accept by default: 64 GiB. A bigger declared size is a hostile or broken header. */
export const MAX_ENTRY_SIZE = 64 * 1024 ** 3;

const TYPES: Record<string, EntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

/** Normalises a tar member name; reports whether it has a `..` component (kept, not resolved). */
export function normalizePath(name: string): { path: string; dotDot: boolean } {
  const parts: string[] = [];
  let dotDot = false;
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') dotDot = true;
    parts.push(p);
  }
  return { path: parts.join('/'), dotDot };
}

export interface ReadTarOptions {
  /** Names the input in errors, e.g. `layer sha256:…`. */
  what: string;
  maxEntrySize?: number;
}

/**
 * Reads a tar stream, calling `onEntry` for each entry in order. The body is a stream of exactly
 * `size` bytes; whatever the callback leaves unread is drained afterwards. Errors (broken tar,
 * source errors, callback errors) reject, wrapped as DistillErrors naming `opts.what`.
 */
export async function readTar(
  source: Readable,
  opts: ReadTarOptions,
  onEntry: (entry: TarEntry, body: Readable) => Promise<void> | void,
): Promise<void> {
  const max = opts.maxEntrySize ?? MAX_ENTRY_SIZE;
  const ex = tar.extract();
  // The last entry handed out: when the tar itself fails mid-body, tar-stream neither ends nor
  // errors the entry stream, so we fail it ourselves and wait for the callback to let go (a
  // callback writing the body to a file must get to close it before we reject).
  let current: { stream: { destroy(e?: Error): void }; settled: Promise<unknown> } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      let ended = false;
      stream.on('end', () => (ended = true));
      // The extract stream reports the same error; without a listener it would be uncaught.
      stream.on('error', () => undefined);
      const fail = (e: unknown) => {
        const err = asDistillError(e, opts.what);
        next(err);
      };
      const size = h.size ?? 0;
      const paxSize = (h as { pax?: Record<string, string> }).pax?.size;
      // tar-stream reads a PAX size with parseInt ("12abc" is 12) and a negative base-256 size
      // of -1 as -0; GNU tar rejects both, and so do we: the body length would be a guess.
      if ((paxSize !== undefined && !/^\d+$/.test(paxSize)) || Object.is(size, -0)) {
        fail(new DistillError(opts.what, `tar entry ${JSON.stringify(h.name)} has a malformed size ${paxSize !== undefined ? JSON.stringify(paxSize) : '(negative base-256)'}`, { code: 'E_INPUT' }));
        return;
      }
      if (!Number.isSafeInteger(size) || size < 0 || size > max) {
        fail(new DistillError(opts.what, `tar entry ${JSON.stringify(h.name)} declares an implausible size ${size} (limit ${max} bytes)`, { code: 'E_REFUSED' }));
        return;
      }
      const n = normalizePath(h.name);
      const type = TYPES[h.type ?? 'file'] ?? 'other';
      let linkname = h.linkname ?? '';
      let dotDot = n.dotDot;
      if (type === 'hardlink') {
        const l = normalizePath(linkname);
        linkname = l.path;
        dotDot ||= l.dotDot;
      }
      const entry: TarEntry = {
        path: n.path,
        rawName: h.name,
        type,
        size,
        mode: (h.mode ?? 0) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        uname: h.uname ?? '',
        gname: h.gname ?? '',
        linkname,
        mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0,
        dotDot,
      };
      const handled = Promise.resolve().then(() => onEntry(entry, stream as unknown as Readable));
      const settled = handled.then(
        () => undefined,
        () => undefined,
      );
      // Kept after the callback settles: failing an ended body is harmless, and waiting on a
      // settled promise costs nothing.
      current = { stream, settled };
      handled.then(() => {
        if (ended) next();
        else {
          stream.on('end', () => next());
          stream.resume();
        }
      }, fail);
    });
    ex.on('finish', resolve);
    ex.on('error', (e: Error) => {
      const err = asDistillError(e, opts.what);
      const c = current;
      if (!c) return reject(err);
      c.stream.destroy(err);
      void c.settled.then(() => reject(err));
    });
  });
  source.on('error', (e) => ex.destroy(e));
  source.pipe(ex as unknown as NodeJS.WritableStream);
  try {
    await done;
  } finally {
    source.unpipe(ex as unknown as NodeJS.WritableStream);
    if (!source.destroyed && !source.readableEnded) source.destroy();
  }
}

/**
 * True when an entry body handed out by `readTar` was destroyed because the tar failed. Node's
 * `pipeline` never settles on an already-destroyed tar-stream body (it waits for events that
 * were emitted before it listened), so pipe a body only after this says false.
 */
export function bodyFailed(body: Readable): boolean {
  return body.destroyed || (body as { destroying?: boolean }).destroying === true;
}
