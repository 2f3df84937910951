/**
 * ELF files read for their closure: everything the resolver (./resolve.ts) needs from one file,
 * from a file on disk (ranged reads) or from a forward-only stream (a layer's tar entry), with
 * bounded memory.
 *
 * A stream cannot seek, so `ElfCapture` keeps only the byte ranges the dynamic data can lie in:
 * the head (ELF and program headers, and the first 16 MiB, where single-segment layouts (gold) put
 * .dynstr and .gnu.version_*), PT_INTERP, PT_DYNAMIC, and the non-executable PT_LOAD segments
 * before PT_DYNAMIC (where ld.bfd, gold, lld, mold and Go's linker put .dynstr and the version
 * tables). Executable segments (.text) are never kept past the head, and at most CAPTURE_CAP
 * bytes are kept per file; a file whose dynamic data lies elsewhere is reported unreadable
 * rather than guessed at.
 */
import type { Readable } from 'node:stream';
import { ElfError, isElf, openElf, PT_DYNAMIC, PT_INTERP, PT_LOAD, type Elf, type ElfSource } from './elf.ts';
import { withElfFile } from './file.ts';
import type { ElfObject } from './resolve.ts';

/** Bytes kept from the start of every ELF stream. */
const HEAD = 16 * 1024 * 1024;
/** Most bytes kept from one stream. */
const CAPTURE_CAP = 96 * 1024 * 1024;
/** Program header tables further in than this are not waited for. */
const MAX_PHDR_END = 1024 * 1024;
/** PF_X. */
const PF_X = 1;

/** The resolver's view of an ELF file, read through `elf`. */
export function elfObject(elf: Elf, path: string): ElfObject {
  const s = elf.summary();
  return {
    path,
    bits: s.bits,
    machine: s.machine,
    arch: s.arch,
    ...(s.interpreter !== undefined ? { interpreter: s.interpreter } : {}),
    dynamic: s.dynamic,
    needed: s.needed,
    runpath: s.runpath,
    rpath: s.rpath,
    ...(s.soname !== undefined ? { soname: s.soname } : {}),
    versionNeeds: s.versionNeeds,
    versionDefs: elf.versionDefs(),
  };
}

/** An object for a file that starts like ELF but cannot be read: nothing it says is trusted. */
function unreadable(path: string, e: unknown, head?: Buffer): ElfObject {
  const bits = head && head[4] === 1 ? 32 : 64;
  return { path, bits, machine: 0, arch: 'unknown', dynamic: false, needed: [], runpath: [], rpath: [], versionNeeds: [], versionDefs: [], unreadable: e instanceof Error ? e.message : String(e) };
}

/** The ELF file at `path` on disk (ranged reads); undefined when it is not ELF. */
export function readElfObject(path: string, as: string = path): ElfObject | undefined {
  try {
    return withElfFile(path, (elf) => elfObject(elf, as));
  } catch (e) {
    if (e instanceof ElfError) return unreadable(as, e);
    throw e;
  }
}

interface Range {
  start: number;
  end: number;
}

/** Merges overlapping or touching ranges, sorted by start. */
function mergeRanges(rs: Range[]): Range[] {
  const out: Range[] = [];
  for (const r of [...rs].filter((x) => x.end > x.start).sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/**
 * Reads one ELF file from a forward-only stream of `size` bytes: feed chunks in order to `push`,
 * then call `finish`. Keeps only the ranges described in the module header.
 */
export class ElfCapture {
  private head: Buffer[] = [];
  private headBytes = 0;
  private pos = 0;
  private plan?: Kept[];
  private notElf = false;
  private failure?: unknown;

  constructor(readonly size: number) {}

  /** Whether nothing more needs to be pushed (not ELF, or every kept range is filled). */
  get done(): boolean {
    if (this.notElf || this.failure !== undefined) return true;
    return this.plan !== undefined && this.plan.every((p) => this.pos >= p.range.end);
  }

  /** Bytes held for the ranges kept (what the capture costs in memory, past the head). */
  get kept(): number {
    return this.plan?.reduce((n, p) => n + p.held, 0) ?? this.headBytes;
  }

  /** Whether the bytes so far start with the ELF magic. */
  get isElf(): boolean {
    return !this.notElf && (this.plan !== undefined || this.failure !== undefined || (this.headBytes >= 4 && isElf(this.head[0]!.length >= 4 ? this.head[0]! : Buffer.concat(this.head))));
  }

  /** The next chunk of the file. */
  push(chunk: Buffer): void {
    if (this.done) {
      this.pos += chunk.length;
      return;
    }
    const start = this.pos;
    this.pos += chunk.length;
    if (!this.plan) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      this.tryPlan();
      return;
    }
    for (const p of this.plan) {
      const from = Math.max(start, p.range.start);
      const to = Math.min(this.pos, p.range.end);
      if (from < to) p.add(from, chunk.subarray(from - start, to - start));
    }
  }

  /** Once the head holds the program headers, decides which ranges to keep and copies what it has. */
  private tryPlan(): void {
    const head = this.headBytes === this.head[0]!.length ? this.head[0]! : Buffer.concat(this.head);
    this.head = [head];
    if (head.length < 4 && this.headBytes < this.size) return;
    if (!isElf(head)) {
      this.notElf = true;
      this.head = [];
      return;
    }
    try {
      const need = Math.min(this.size, 64);
      if (head.length < need) return;
      const probe = openElf(headSource(head, this.size));
      if (!probe) throw new ElfError('ELF header unreadable');
      const { phoff, phentsize, phnum } = probe.header;
      const phEnd = phoff + phentsize * phnum;
      if (phEnd > MAX_PHDR_END) throw new ElfError(`program headers end at ${phEnd}, past the first ${MAX_PHDR_END} bytes`);
      if (head.length < Math.min(this.size, phEnd)) return;
      const ranges = this.ranges(probe);
      this.plan = ranges.map((range) => new Kept(range));
      this.head = [];
      const start = this.pos - head.length;
      this.pos = start;
      this.push(head);
    } catch (e) {
      this.failure = e;
      this.head = [];
    }
  }

  /** The ranges to keep for `probe`, merged and capped. */
  private ranges(probe: Elf): Range[] {
    const phdrs = probe.programHeaders();
    const clip = (start: number, len: number): Range => ({ start: Math.min(start, this.size), end: Math.min(start + len, this.size) });
    const rs: Range[] = [clip(0, HEAD)];
    const dyn = phdrs.find((p) => p.type === PT_DYNAMIC);
    for (const p of phdrs) if (p.type === PT_INTERP || p.type === PT_DYNAMIC) rs.push(clip(p.offset, p.filesz));
    if (dyn) for (const p of phdrs) if (p.type === PT_LOAD && !(p.flags & PF_X) && p.offset < dyn.offset) rs.push(clip(p.offset, Math.min(p.filesz, dyn.offset + dyn.filesz - p.offset)));
    let budget = CAPTURE_CAP;
    return mergeRanges(rs).map((r) => {
      const end = Math.min(r.end, r.start + Math.max(0, budget));
      budget -= end - r.start;
      return { start: r.start, end };
    }).filter((r) => r.end > r.start);
  }

  /** The file's object (undefined when it is not ELF). */
  finish(path: string): ElfObject | undefined {
    if (this.notElf) return undefined;
    if (!this.plan && this.failure === undefined) {
      // Shorter than its own headers: read what arrived.
      const head = Buffer.concat(this.head);
      if (!isElf(head)) return undefined;
      return unreadable(path, new ElfError(`file of ${this.size} bytes ends inside its headers`), head);
    }
    if (this.failure !== undefined) return unreadable(path, this.failure);
    try {
      const elf = openElf(sparseSource(this.plan!, this.size))!;
      return elfObject(elf, path);
    } catch (e) {
      if (e instanceof ElfError) return unreadable(path, e);
      throw e;
    }
  }
}

/** A source over the head of a file of `size` bytes; reads past the head fail as "not yet read". */
function headSource(head: Buffer, size: number): ElfSource {
  return {
    size,
    read(offset, length) {
      if (offset + length > head.length) throw new ElfError(`bytes ${offset}..${offset + length} are past the head read so far`);
      return head.subarray(offset, offset + length);
    },
  };
}

/**
 * One kept range, held as the stream's own chunks (in order, without gaps) rather than copied:
 * streams hand out chunks they never write again, and most reads fall inside one chunk.
 */
class Kept {
  private readonly starts: number[] = [];
  private readonly pieces: Buffer[] = [];
  /** Bytes held so far. */
  held = 0;

  constructor(readonly range: Range) {}

  /** The bytes of the file at `offset`, the next ones of this range. */
  add(offset: number, piece: Buffer): void {
    this.starts.push(offset);
    this.pieces.push(piece);
    this.held += piece.length;
  }

  /** `length` bytes at `offset`, or undefined when the stream ended before they arrived. */
  read(offset: number, length: number): Buffer | undefined {
    const end = offset + length;
    if (end > this.range.start + this.held) return undefined;
    // The last piece starting at or before `offset`.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const first = this.pieces[lo];
    if (!first) return length === 0 ? Buffer.alloc(0) : undefined;
    const at = offset - this.starts[lo]!;
    if (at + length <= first.length) return first.subarray(at, at + length);
    const parts: Buffer[] = [first.subarray(at)];
    let got = first.length - at;
    for (let i = lo + 1; got < length && i < this.pieces.length; i++) {
      const p = this.pieces[i]!;
      parts.push(p.subarray(0, Math.min(p.length, length - got)));
      got += p.length;
    }
    return Buffer.concat(parts, length);
  }
}

/** A source over the kept ranges; a read outside them fails, naming the range. */
function sparseSource(plan: Kept[], size: number): ElfSource {
  return {
    size,
    read(offset, length) {
      const p = plan.find((x) => offset >= x.range.start && offset + length <= x.range.end);
      const b = p?.read(offset, length);
      if (!b) throw new ElfError(`dynamic data at ${offset} (${length} bytes) lies outside the parts of the file read from the stream`);
      return b;
    },
  };
}

/** Reads an ELF object from a stream of `size` bytes, draining it; undefined when it is not ELF. */
export async function captureElf(body: Readable, size: number, path: string, tap?: (chunk: Buffer) => void): Promise<ElfObject | undefined> {
  const cap = new ElfCapture(size);
  for await (const c of body) {
    cap.push(c as Buffer);
    tap?.(c as Buffer);
  }
  return cap.finish(path);
}
