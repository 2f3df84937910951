/**
 * Writing files safely. Atomic writes: a temp file beside the target (same directory, so the
 * rename stays on one filesystem), renamed over it, so readers and concurrent runs see the old
 * file or the new one, never half of one; the temp file is removed when anything fails.
 *
 * Streaming into a file so that a failure leaves the file closed. Node's `pipeline` rejects as soon
 * as one stream fails, while the file stream at its end may still be opening or closing its file;
 * a caller that deletes the (temp) file at once races that open and can leave the file behind —
 * measured: one failed download in five left its `.part` file. `pipeToFile` settles only after the
 * file stream has closed, success or failure.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, fsyncSync, openSync, renameSync, rmSync, writeSync, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * A fresh temp path beside `target`: hidden, named after it, unique per process and call, ending
 * in `.tmp` (so cleanups that sweep `*.tmp` find leftovers of a killed run).
 */
export function tempBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

export interface AtomicWriteOptions {
  /** fsync the data before the rename, so a crash cannot leave an empty file in its place. */
  fsync?: boolean;
  /** Permission bits of a new file (before the umask); default 0o666. */
  mode?: number;
}

/** Writes `data` to `path` atomically (temp file beside it, then rename); the temp file never outlives a failure. */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempBeside(path);
  try {
    // 'wx': the temp name is ours alone; an existing file of that name is an error, not a target.
    const fh = await open(tmp, 'wx', opts.mode ?? 0o666);
    try {
      await fh.writeFile(data);
      if (opts.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** `writeFileAtomic` for synchronous callers. */
export function writeFileAtomicSync(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): void {
  const tmp = tempBeside(path);
  try {
    const fd = openSync(tmp, 'wx', opts.mode ?? 0o666);
    try {
      const b = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
      if (opts.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Resolves once `out` has closed its file (at once if it already has). */
function fileClosed(out: WriteStream): Promise<void> {
  return out.closed ? Promise.resolve() : new Promise((resolve) => out.once('close', () => resolve()));
}

/** Pipes `source` (through `via`, in order) into a new file at `path` (or onto its end, with `append`). */
export async function pipeToFile(
  path: string,
  source: Readable | NodeJS.ReadableStream,
  opts: { via?: NodeJS.ReadWriteStream[]; highWaterMark?: number; append?: boolean } = {},
): Promise<void> {
  const out = createWriteStream(path, { ...(opts.highWaterMark ? { highWaterMark: opts.highWaterMark } : {}), ...(opts.append ? { flags: 'a' } : {}) });
  try {
    await pipeline([source, ...(opts.via ?? []), out]);
  } catch (e) {
    await fileClosed(out);
    throw e;
  }
}

/**
 * `mkdir -p`, one component at a time. Node's own recursive mkdir spins forever at 100% CPU where
 * a parent refuses new entries with ENOENT (anything under /proc, /sys): measured, `pull … oci:/proc/x`
 * never returned. Here every failure other than "already exists" is the caller's error.
 */
export async function mkdirs(dir: string): Promise<void> {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    try {
      await mkdir(d);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') break;
      const parent = dirname(d);
      if (code !== 'ENOENT' || parent === d || missing.length > 4096) throw e;
      missing.push(d);
      d = parent;
    }
  }
  for (const m of missing.reverse()) {
    try {
      await mkdir(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

const TEMP_NAME = /^\.(.+)\.(\d+)-[0-9a-f]{8}\.tmp$/;

/** Whether process `pid` is running (a process we may not signal still counts as running). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A temp file tempBeside made, in `dir`, whose process is gone (killed mid-write): its path and target name. */
export interface StaleTemp {
  path: string;
  /** The base name of the file it was to become. */
  target: string;
}

/** The temp files in `dir` (made by tempBeside) whose writing process no longer runs. */
export async function staleTemps(dir: string): Promise<StaleTemp[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: StaleTemp[] = [];
  for (const n of names) {
    const m = TEMP_NAME.exec(n);
    if (m && !processAlive(Number(m[2]))) out.push({ path: join(dir, n), target: m[1]! });
  }
  return out;
}

/** Removes the temp files of dead processes in `dir` (a `kill -9` leaves them); returns how many. */
export async function removeStaleTemps(dir: string): Promise<number> {
  const stale = await staleTemps(dir);
  await Promise.all(stale.map((t) => rm(t.path, { force: true })));
  return stale.length;
}
