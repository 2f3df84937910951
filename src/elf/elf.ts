/**
 * The one ELF reader: header (class, byte order, type, machine), program headers (PT_INTERP's
 * interpreter, PT_LOAD's address map, PT_NOTE's notes), section headers by name, the dynamic
 * section (DT_NEEDED, DT_RUNPATH, DT_RPATH, DT_SONAME) and the symbol-version requirements
 * (DT_VERNEED: per needed file, the versions such as GLIBC_2.34 it asks for) and the versions a
 * library defines (DT_VERDEF), which is how "too old" is told from "present".
 *
 * Hand-written: the npm ELF parsers read a whole Buffer and neither bound their work on hostile
 * input nor read version requirements. This one reads through an `ElfSource` (random access by
 * offset), so a file adapter (./file.ts) reads only the ranges asked for, never the whole file.
 * Binaries come from untrusted images: every offset and size is checked against the source's
 * length before it is read, every count is capped and every chain is followed at most once, so a
 * malformed file gives an `ElfError` naming what is wrong, never a crash or an endless loop.
 * Dynamic data is found the way the loader finds it, through PT_DYNAMIC and the address map, so
 * binaries stripped of their section headers read the same.
 */

/** Bytes at `offset`: a Buffer of exactly `length` bytes (the caller keeps within `size`). */
export interface ElfSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

/** A malformed ELF file: the message says which structure is wrong and where. */
export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Whether `b` starts with the ELF magic. */
export function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** A source over bytes in memory (a whole file, or only its head). */
export function bufferSource(b: Uint8Array): ElfSource {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return { size: buf.length, read: (offset, length) => buf.subarray(offset, offset + length) };
}

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;

const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const DT_VERNEED = 0x6ffffffe;
const DT_VERNEEDNUM = 0x6fffffff;
const DT_VERDEF = 0x6ffffffc;
const DT_VERDEFNUM = 0x6ffffffd;
/** vd_flags of the definition that names the file itself (its soname), not a version. */
const VER_FLG_BASE = 1;

/** The kernel refuses program header tables over 64 KiB; so does this reader. */
const MAX_PHDR_BYTES = 64 * 1024;
const MAX_SECTIONS = 1 << 16;
const MAX_DYN_ENTRIES = 1 << 16;
const MAX_VERNEED = 4096;
const MAX_VERNAUX = 4096;
/** Versions read in all, so entries sharing one long chain cannot multiply the work. */
const MAX_VERSIONS = 16384;
const MAX_NOTES = 4096;
/** Longest string read (paths, library and version names). */
const MAX_STRING = 4096;
/** Largest interpreter path or note payload read. */
const MAX_BLOB = 1 << 20;

export type ElfType = 'rel' | 'exec' | 'dyn' | 'core' | 'other';

export interface ElfHeader {
  bits: 32 | 64;
  endian: 'little' | 'big';
  type: ElfType;
  /** e_machine, e.g. 0x3e for x86-64. */
  machine: number;
  /** The machine as a GOARCH name (amd64, arm64, …), or "unknown". */
  arch: string;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface SectionHeader {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface DynamicInfo {
  /** DT_NEEDED, in order. */
  needed: string[];
  /** DT_RUNPATH directories, in order (`$ORIGIN` left as written). */
  runpath: string[];
  /** DT_RPATH directories, in order. */
  rpath: string[];
  soname?: string;
}

/** The symbol versions a binary requires from one needed file. */
export interface VersionNeed {
  file: string;
  versions: string[];
}

export interface ElfNote {
  /** Owner name without its NUL padding: "GNU", "Go", … */
  name: string;
  type: number;
  desc: Buffer;
}

/** Everything the reader knows about a binary, in one plain value. */
export interface ElfSummary {
  bits: 32 | 64;
  endian: 'little' | 'big';
  type: ElfType;
  machine: number;
  arch: string;
  /** PT_INTERP's path: the binary needs a dynamic loader. */
  interpreter?: string;
  /** Has a PT_DYNAMIC segment (a dynamic executable, a shared library or a static PIE). */
  dynamic: boolean;
  needed: string[];
  runpath: string[];
  rpath: string[];
  soname?: string;
  versionNeeds: VersionNeed[];
}

const TYPES: Record<number, ElfType> = { 1: 'rel', 2: 'exec', 3: 'dyn', 4: 'core' };

/** The GOARCH name of an e_machine (byte order and class settle the ambiguous ones). */
function archOf(machine: number, bits: 32 | 64, le: boolean): string {
  switch (machine) {
    case 0x03: return '386';
    case 0x08: return bits === 64 ? (le ? 'mips64le' : 'mips64') : le ? 'mipsle' : 'mips';
    case 0x14: return 'ppc';
    case 0x15: return le ? 'ppc64le' : 'ppc64';
    case 0x16: return 's390x';
    case 0x28: return 'arm';
    case 0x3e: return 'amd64';
    case 0xb7: return 'arm64';
    case 0xf3: return bits === 64 ? 'riscv64' : 'riscv';
    case 0x102: return 'loong64';
    default: return 'unknown';
  }
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** Field readers over one byte order and class. */
class Fields {
  constructor(
    readonly le: boolean,
    readonly is64: boolean,
  ) {}
  u16(b: Buffer, o: number): number {
    return this.le ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }
  u32(b: Buffer, o: number): number {
    return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }
  /** A 64-bit field as a number; values past 2^53 lose precision, and then fail every range check. */
  u64(b: Buffer, o: number): number {
    return Number(this.le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  }
  /** A word: u64 in ELF64, u32 in ELF32. */
  word(b: Buffer, o: number): number {
    return this.is64 ? this.u64(b, o) : this.u32(b, o);
  }
}

/**
 * An ELF file read through a source. Construct with `openElf`; every method reads lazily, caches
 * nothing that can change, and throws `ElfError` for a malformed structure.
 */
export class Elf {
  readonly header: ElfHeader;
  private readonly f: Fields;
  private phdrs?: ProgramHeader[];
  private shdrs?: SectionHeader[];
  private dyn?: { tag: number; val: number }[] | null;

  /** Use `openElf`: this assumes the magic was checked. */
  constructor(readonly source: ElfSource) {
    if (source.size < 16) throw new ElfError(`ELF identification truncated: ${source.size} of 16 bytes`);
    const ident = source.read(0, 16);
    const bits = ident[4] === 1 ? 32 : ident[4] === 2 ? 64 : undefined;
    const le = ident[5] === 1 ? true : ident[5] === 2 ? false : undefined;
    if (bits === undefined) throw new ElfError(`unknown ELF class ${ident[4]}`);
    if (le === undefined) throw new ElfError(`unknown ELF byte order ${ident[5]}`);
    const size = bits === 64 ? 64 : 52;
    if (source.size < size) throw new ElfError(`ELF header truncated: ${source.size} of ${size} bytes`);
    const f = (this.f = new Fields(le, bits === 64));
    const h = source.read(0, size);
    const at = bits === 64 ? { phoff: 32, shoff: 40, rest: 52 } : { phoff: 28, shoff: 32, rest: 40 };
    const machine = f.u16(h, 18);
    this.header = {
      bits,
      endian: le ? 'little' : 'big',
      type: TYPES[f.u16(h, 16)] ?? 'other',
      machine,
      arch: archOf(machine, bits, le),
      entry: f.word(h, 24),
      phoff: f.word(h, at.phoff),
      shoff: f.word(h, at.shoff),
      phentsize: f.u16(h, at.rest + 2),
      phnum: f.u16(h, at.rest + 4),
      shentsize: f.u16(h, at.rest + 6),
      shnum: f.u16(h, at.rest + 8),
      shstrndx: f.u16(h, at.rest + 10),
    };
  }

  /** `length` bytes at `offset`, checked to lie inside the source. */
  bytes(offset: number, length: number, what: string): Buffer {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.source.size) {
      throw new ElfError(`${what} at ${hex(offset)} (${length} bytes) lies outside the file (${this.source.size} bytes)`);
    }
    return this.source.read(offset, length);
  }

  /** Section 0, which holds the real counts when a file has more than 0xfeff sections or 0xfffe segments. */
  private section0(): { size: number; link: number; info: number } | undefined {
    if (this.header.shoff === 0) return undefined;
    const f = this.f;
    const b = this.bytes(this.header.shoff, f.is64 ? 64 : 40, 'section header 0');
    return f.is64 ? { size: f.u64(b, 32), link: f.u32(b, 40), info: f.u32(b, 44) } : { size: f.u32(b, 20), link: f.u32(b, 24), info: f.u32(b, 28) };
  }

  /** All program headers. */
  programHeaders(): ProgramHeader[] {
    if (this.phdrs) return this.phdrs;
    const { phoff, phentsize } = this.header;
    let { phnum } = this.header;
    if (phnum === 0xffff) phnum = this.section0()?.info ?? phnum; // PN_XNUM
    if (phnum === 0) return (this.phdrs = []);
    const min = this.f.is64 ? 56 : 32;
    if (phentsize < min) throw new ElfError(`program header entries of ${phentsize} bytes (at least ${min} expected)`);
    if (phentsize * phnum > MAX_PHDR_BYTES) throw new ElfError(`program header table of ${phnum} entries of ${phentsize} bytes is implausibly large`);
    const t = this.bytes(phoff, phentsize * phnum, 'program header table');
    const f = this.f;
    const out: ProgramHeader[] = [];
    for (let i = 0; i < phnum; i++) {
      const p = i * phentsize;
      out.push(
        f.is64
          ? { type: f.u32(t, p), flags: f.u32(t, p + 4), offset: f.u64(t, p + 8), vaddr: f.u64(t, p + 16), filesz: f.u64(t, p + 32), memsz: f.u64(t, p + 40), align: f.u64(t, p + 48) }
          : { type: f.u32(t, p), offset: f.u32(t, p + 4), vaddr: f.u32(t, p + 8), filesz: f.u32(t, p + 16), memsz: f.u32(t, p + 20), flags: f.u32(t, p + 24), align: f.u32(t, p + 28) },
      );
    }
    return (this.phdrs = out);
  }

  /** The file offset of virtual address `vaddr`, through the PT_LOAD segments; undefined if unmapped. */
  fileOffset(vaddr: number): number | undefined {
    for (const p of this.programHeaders()) {
      if (p.type === PT_LOAD && vaddr >= p.vaddr && vaddr < p.vaddr + p.filesz) return vaddr - p.vaddr + p.offset;
    }
    return undefined;
  }

  /** The interpreter (dynamic loader) path PT_INTERP names, or undefined for a static binary. */
  interpreter(): string | undefined {
    const p = this.programHeaders().find((h) => h.type === PT_INTERP);
    if (!p) return undefined;
    if (p.filesz > MAX_BLOB) throw new ElfError(`PT_INTERP of ${p.filesz} bytes is implausibly large`);
    const b = this.bytes(p.offset, p.filesz, 'PT_INTERP');
    const nul = b.indexOf(0);
    return b.toString('utf8', 0, nul < 0 ? b.length : nul);
  }

  /** All section headers, with their names (empty when the file has no section header table). */
  sections(): SectionHeader[] {
    if (this.shdrs) return this.shdrs;
    const { shoff, shentsize } = this.header;
    let { shnum, shstrndx } = this.header;
    if (shoff === 0) return (this.shdrs = []);
    const s0 = this.section0()!;
    if (shnum === 0) shnum = s0.size; // more than 0xfeff sections: the count is in section 0
    if (shstrndx === 0xffff) shstrndx = s0.link; // SHN_XINDEX
    if (shnum === 0) return (this.shdrs = []);
    const min = this.f.is64 ? 64 : 40;
    if (shentsize < min) throw new ElfError(`section header entries of ${shentsize} bytes (at least ${min} expected)`);
    if (shnum > MAX_SECTIONS) throw new ElfError(`${shnum} sections is implausibly many`);
    const t = this.bytes(shoff, shentsize * shnum, 'section header table');
    const f = this.f;
    const raw = Array.from({ length: shnum }, (_, i) => {
      const p = i * shentsize;
      const nameIndex = f.u32(t, p);
      const h = f.is64
        ? { type: f.u32(t, p + 4), flags: f.u64(t, p + 8), addr: f.u64(t, p + 16), offset: f.u64(t, p + 24), size: f.u64(t, p + 32), link: f.u32(t, p + 40), info: f.u32(t, p + 44), entsize: f.u64(t, p + 56) }
        : { type: f.u32(t, p + 4), flags: f.u32(t, p + 8), addr: f.u32(t, p + 12), offset: f.u32(t, p + 16), size: f.u32(t, p + 20), link: f.u32(t, p + 24), info: f.u32(t, p + 28), entsize: f.u32(t, p + 36) };
      return { nameIndex, h };
    });
    const strtab = raw[shstrndx];
    if (shstrndx !== 0 && !strtab) throw new ElfError(`section name table index ${shstrndx} is past the ${shnum} sections`);
    const names = strtab && shstrndx !== 0 ? new StringTable(this, strtab.h.offset, strtab.h.size, 'section name table') : undefined;
    return (this.shdrs = raw.map(({ nameIndex, h }) => ({ name: names ? names.get(nameIndex) : '', ...h })));
  }

  /** The first section called `name` (".dynamic", ".gnu.version_r", …). */
  section(name: string): SectionHeader | undefined {
    return this.sections().find((s) => s.name === name);
  }

  /** The raw dynamic entries up to DT_NULL, or null without a PT_DYNAMIC segment. */
  private dynamicEntries(): { tag: number; val: number }[] | null {
    if (this.dyn !== undefined) return this.dyn;
    const p = this.programHeaders().find((h) => h.type === PT_DYNAMIC);
    if (!p) return (this.dyn = null);
    const ent = this.f.is64 ? 16 : 8;
    const count = Math.min(Math.floor(p.filesz / ent), MAX_DYN_ENTRIES);
    const b = this.bytes(p.offset, count * ent, 'dynamic section');
    const out: { tag: number; val: number }[] = [];
    for (let i = 0; i < count; i++) {
      // Tags are signed in ELF64 but every tag read here is small and positive.
      const tag = this.f.word(b, i * ent);
      if (tag === DT_NULL) break;
      out.push({ tag, val: this.f.word(b, i * ent + ent / 2) });
    }
    return (this.dyn = out);
  }

  /** The dynamic string table DT_STRTAB/DT_STRSZ point at. */
  private dynstr(entries: { tag: number; val: number }[]): StringTable {
    const addr = entries.find((e) => e.tag === DT_STRTAB)?.val;
    const size = entries.find((e) => e.tag === DT_STRSZ)?.val;
    if (addr === undefined || size === undefined) throw new ElfError('dynamic section has no DT_STRTAB/DT_STRSZ');
    const off = this.fileOffset(addr);
    if (off === undefined) throw new ElfError(`DT_STRTAB address ${hex(addr)} is in no loaded segment`);
    return new StringTable(this, off, size, 'dynamic string table');
  }

  /** DT_NEEDED, DT_RUNPATH, DT_RPATH and DT_SONAME; undefined without a PT_DYNAMIC segment. */
  dynamic(): DynamicInfo | undefined {
    const entries = this.dynamicEntries();
    if (!entries) return undefined;
    const out: DynamicInfo = { needed: [], runpath: [], rpath: [] };
    const wanted = entries.filter((e) => e.tag === DT_NEEDED || e.tag === DT_RUNPATH || e.tag === DT_RPATH || e.tag === DT_SONAME);
    if (!wanted.length) return out;
    const strs = this.dynstr(entries);
    for (const e of wanted) {
      const s = strs.get(e.val);
      if (e.tag === DT_NEEDED) out.needed.push(s);
      else if (e.tag === DT_RUNPATH) out.runpath.push(...s.split(':'));
      else if (e.tag === DT_RPATH) out.rpath.push(...s.split(':'));
      else out.soname = s;
    }
    return out;
  }

  /** The symbol versions required per needed file (DT_VERNEED); empty when none. */
  versionNeeds(): VersionNeed[] {
    const entries = this.dynamicEntries();
    const addr = entries?.find((e) => e.tag === DT_VERNEED)?.val;
    if (!entries || addr === undefined) return [];
    const num = entries.find((e) => e.tag === DT_VERNEEDNUM)?.val ?? 0;
    if (num > MAX_VERNEED) throw new ElfError(`DT_VERNEEDNUM of ${num} is implausibly many`);
    let off = this.fileOffset(addr);
    if (off === undefined) throw new ElfError(`DT_VERNEED address ${hex(addr)} is in no loaded segment`);
    const strs = this.dynstr(entries);
    // Links are unsigned offsets added forward (no 32-bit wrap-around here), so a chain cannot
    // loop; the counts bound it and every entry is range-checked.
    const out: VersionNeed[] = [];
    let total = 0;
    for (let i = 0; i < num; i++) {
      const vn = this.bytes(off, 16, 'version requirement');
      const cnt = this.f.u16(vn, 2);
      if (cnt > MAX_VERNAUX) throw new ElfError(`version requirement with ${cnt} versions is implausibly many`);
      const need: VersionNeed = { file: strs.get(this.f.u32(vn, 4)), versions: [] };
      let aux = off + this.f.u32(vn, 8);
      for (let j = 0; j < cnt; j++) {
        if (++total > MAX_VERSIONS) throw new ElfError(`more than ${MAX_VERSIONS} version requirements`);
        const va = this.bytes(aux, 16, 'version requirement entry');
        need.versions.push(strs.get(this.f.u32(va, 8)));
        const next = this.f.u32(va, 12);
        if (next === 0) break;
        aux += next;
      }
      out.push(need);
      const next = this.f.u32(vn, 12);
      if (next === 0) break;
      off += next;
    }
    return out;
  }

  /** The symbol versions this file defines (DT_VERDEF: GLIBC_2.2.5 … GLIBC_2.38), without its base entry. */
  versionDefs(): string[] {
    const entries = this.dynamicEntries();
    const addr = entries?.find((e) => e.tag === DT_VERDEF)?.val;
    if (!entries || addr === undefined) return [];
    const num = entries.find((e) => e.tag === DT_VERDEFNUM)?.val ?? 0;
    if (num > MAX_VERSIONS) throw new ElfError(`DT_VERDEFNUM of ${num} is implausibly many`);
    let off = this.fileOffset(addr);
    if (off === undefined) throw new ElfError(`DT_VERDEF address ${hex(addr)} is in no loaded segment`);
    const strs = this.dynstr(entries);
    const out: string[] = [];
    // As with DT_VERNEED, links only move forward and the count bounds the chain.
    for (let i = 0; i < num; i++) {
      const vd = this.bytes(off, 20, 'version definition');
      const flags = this.f.u16(vd, 2);
      const cnt = this.f.u16(vd, 6);
      // The first auxiliary entry names the version; later ones name its predecessors.
      if (cnt > 0 && !(flags & VER_FLG_BASE)) out.push(strs.get(this.f.u32(this.bytes(off + this.f.u32(vd, 12), 8, 'version definition name'), 0)));
      const next = this.f.u32(vd, 16);
      if (next === 0) break;
      off += next;
    }
    return out;
  }

  /**
   * Notes of the PT_NOTE segments. Segments that end past the source are skipped, so a source
   * holding only a file's head yields the notes that head holds.
   */
  notes(): ElfNote[] {
    const out: ElfNote[] = [];
    for (const p of this.programHeaders()) {
      if (p.type !== PT_NOTE || p.offset + p.filesz > this.source.size || p.filesz > MAX_BLOB) continue;
      const b = this.bytes(p.offset, p.filesz, 'note segment');
      const align = p.align === 8 ? 8 : 4;
      const pad = (n: number) => Math.ceil(n / align) * align;
      for (let o = 0; o + 12 <= b.length && out.length < MAX_NOTES; ) {
        const namesz = this.f.u32(b, o);
        const descsz = this.f.u32(b, o + 4);
        const name = o + 12;
        // Padding aligns positions within the (aligned) segment: with 8, a 4-byte name needs none.
        const desc = pad(name + namesz);
        if (desc + descsz > b.length) throw new ElfError(`note at ${hex(p.offset + o)} runs past its segment`);
        out.push({ name: b.toString('latin1', name, name + namesz).replace(/\0+$/, ''), type: this.f.u32(b, o + 8), desc: Buffer.from(b.subarray(desc, desc + descsz)) });
        o = desc + pad(descsz);
      }
    }
    return out;
  }

  /** Header, interpreter, dynamic section and version requirements in one value. */
  summary(): ElfSummary {
    const { bits, endian, type, machine, arch } = this.header;
    const interpreter = this.interpreter();
    const dyn = this.dynamic();
    return {
      bits,
      endian,
      type,
      machine,
      arch,
      ...(interpreter !== undefined ? { interpreter } : {}),
      dynamic: dyn !== undefined,
      needed: dyn?.needed ?? [],
      runpath: dyn?.runpath ?? [],
      rpath: dyn?.rpath ?? [],
      ...(dyn?.soname !== undefined ? { soname: dyn.soname } : {}),
      versionNeeds: this.versionNeeds(),
    };
  }
}

/** NUL-terminated strings at indexes into a table, read in small windows, each at most MAX_STRING. */
class StringTable {
  private readonly cache = new Map<number, string>();

  constructor(
    private readonly elf: Elf,
    private readonly offset: number,
    private readonly size: number,
    private readonly what: string,
  ) {
    const end = elf.source.size;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > end) {
      throw new ElfError(`${what} at ${hex(offset)} (${size} bytes) lies outside the file (${end} bytes)`);
    }
  }

  get(index: number): string {
    const hit = this.cache.get(index);
    if (hit !== undefined) return hit;
    if (index >= this.size) throw new ElfError(`${this.what}: string index ${index} is past its end (${this.size} bytes)`);
    const limit = Math.min(this.size - index, MAX_STRING + 1);
    const chunks: Buffer[] = [];
    for (let done = 0; done < limit; ) {
      const n = Math.min(256, limit - done);
      const b = this.elf.bytes(this.offset + index + done, n, this.what);
      const nul = b.indexOf(0);
      if (nul >= 0) {
        chunks.push(b.subarray(0, nul));
        const s = Buffer.concat(chunks).toString('utf8');
        this.cache.set(index, s);
        return s;
      }
      chunks.push(b);
      done += n;
    }
    throw new ElfError(`${this.what}: string at index ${index} is not terminated within ${limit} bytes`);
  }
}

/** The ELF file in `source`, or undefined when it does not start with the ELF magic. */
export function openElf(source: ElfSource): Elf | undefined {
  if (source.size < 16 || !isElf(source.read(0, 4))) return undefined;
  return new Elf(source);
}
