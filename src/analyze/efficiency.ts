/**
 * dive-style image efficiency, counted honestly. Every regular-file version in every layer costs
 * its bytes; the version a path ends up with is what the image needs, so it is never waste. Waste
 * is the bytes of versions a later layer overwrote or removed (whiteouts themselves cost 0; a file
 * overwritten within its own layer counts too, since its earlier bytes still ship).
 *
 *   efficiency = 1 - wastedBytes / totalFileBytes      (1 when the image has no file bytes)
 *
 * dive instead counts every copy of a path that appears more than once, including the kept one,
 * which calls an image wasteful for simply updating a file once; we do not.
 */
import type { FsEntry, MergedFs } from '../layers/filesystem.ts';

export interface Efficiency {
  /** 0..1, see the module comment. */
  score: number;
  totalFileBytes: number;
  wastedBytes: number;
  /** Paths with lost versions, most wasted bytes first. */
  wasted: { path: string; count: number; bytes: number }[];
}

/** Efficiency of a merged filesystem; `top` limits the wasted-path list. */
export function efficiency(fs: MergedFs, top = 20): Efficiency {
  const wasted = [...fs.wasted.values()].sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1)).slice(0, top);
  const score = fs.totalFileBytes === 0 ? 1 : 1 - fs.wastedBytes / fs.totalFileBytes;
  return { score, totalFileBytes: fs.totalFileBytes, wastedBytes: fs.wastedBytes, wasted };
}

/** The `n` largest regular files of the final filesystem, largest first. */
export function largestFiles(fs: MergedFs, n = 20): FsEntry[] {
  const out: FsEntry[] = [];
  for (const e of fs.entries.values()) {
    if (e.type !== 'file') continue;
    out.push(e);
    // Keep the list short while scanning large images.
    if (out.length > n * 4) {
      out.sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
      out.length = n;
    }
  }
  out.sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  return out.slice(0, n);
}
