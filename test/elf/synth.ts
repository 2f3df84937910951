/**
 * Writes small ELF files the way a linker lays out a dynamic executable (one PT_LOAD over the
 * whole file, PT_INTERP, PT_DYNAMIC pointing at DT_STRTAB and DT_VERNEED by address, optional
 * PT_NOTE and section headers), in either class and byte order, so the reader's 32-bit and
 * big-endian paths are tested without a cross compiler. `at` gives the offsets a hostile variant
 * patches.
 */
export interface SynthSpec {
  bits?: 32 | 64;
  endian?: 'little' | 'big';
  /** e_type: 2 exec, 3 dyn. */
  type?: number;
  machine?: number;
  interp?: string;
  needed?: string[];
  runpath?: string;
  rpath?: string;
  soname?: string;
  verneed?: { file: string; versions: string[] }[];
  notes?: { name: string; type: number; desc: Buffer }[];
  sections?: boolean;
}

export interface Synth {
  bytes: Buffer;
  at: { phoff: number; phnum: number; dynamic: number; dynstr: number; verneed: number; shoff: number };
  base: number;
}

export const BASE = 0x400000;

/** Builds the file described by `spec`. */
export function synthElf(spec: SynthSpec): Synth {
  const is64 = (spec.bits ?? 64) === 64;
  const le = (spec.endian ?? 'little') === 'little';
  const [ehsize, phent, shent, dynent] = is64 ? [64, 56, 64, 16] : [52, 32, 40, 8];
  const strs = new Strings();
  const needed = (spec.needed ?? []).map((n) => strs.add(n));
  const verneed = (spec.verneed ?? []).map((v) => ({ file: strs.add(v.file), versions: v.versions.map((x) => strs.add(x)) }));
  const dyn: [number, number][] = needed.map((i) => [1, i]);
  if (spec.soname !== undefined) dyn.push([14, strs.add(spec.soname)]);
  if (spec.rpath !== undefined) dyn.push([15, strs.add(spec.rpath)]);
  if (spec.runpath !== undefined) dyn.push([29, strs.add(spec.runpath)]);

  const phnum = 2 + (spec.interp !== undefined ? 1 : 0) + (spec.notes?.length ? 1 : 0);
  const align = (n: number) => Math.ceil(n / 8) * 8;
  let off = ehsize + phnum * phent;
  const interpOff = off;
  off = align(off + (spec.interp !== undefined ? Buffer.byteLength(spec.interp) + 1 : 0));
  const noteBytes = Buffer.concat((spec.notes ?? []).map((n) => note(n, le)));
  const noteOff = off;
  off = align(off + noteBytes.length);
  const dynstr = strs.bytes();
  const dynstrOff = off;
  off = align(off + dynstr.length);
  const verneedOff = off;
  off = align(off + verneed.reduce((n, v) => n + 16 + 16 * v.versions.length, 0));
  dyn.push([5, BASE + dynstrOff], [10, dynstr.length]);
  if (verneed.length) dyn.push([0x6ffffffe, BASE + verneedOff], [0x6fffffff, verneed.length]);
  dyn.push([0, 0]);
  const dynOff = off;
  off += dyn.length * dynent;
  const shnames = new Strings();
  const sects = spec.sections
    ? [
        { name: shnames.add('.interp'), type: 1, offset: interpOff, size: spec.interp ? Buffer.byteLength(spec.interp) + 1 : 0, link: 0, info: 0 },
        { name: shnames.add('.dynstr'), type: 3, offset: dynstrOff, size: dynstr.length, link: 0, info: 0 },
        { name: shnames.add('.gnu.version_r'), type: 0x6ffffffe, offset: verneedOff, size: verneed.reduce((n, v) => n + 16 + 16 * v.versions.length, 0), link: 2, info: verneed.length },
        { name: shnames.add('.dynamic'), type: 6, offset: dynOff, size: dyn.length * dynent, link: 2, info: 0 },
      ]
    : [];
  const shstrName = spec.sections ? shnames.add('.shstrtab') : 0;
  const shstr = shnames.bytes();
  const shstrOff = off;
  if (spec.sections) off = align(off + shstr.length);
  const shoff = spec.sections ? off : 0;
  if (spec.sections) off += (sects.length + 2) * shent;

  const b = Buffer.alloc(off);
  const w = new Writer(b, le, is64);
  b.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  w.u16(16, spec.type ?? 3);
  w.u16(18, spec.machine ?? 0x3e);
  w.u32(20, 1);
  const h = is64 ? { phoff: 32, shoff: 40, rest: 52 } : { phoff: 28, shoff: 32, rest: 40 };
  w.word(h.phoff, ehsize);
  w.word(h.shoff, shoff);
  w.u16(h.rest, ehsize);
  w.u16(h.rest + 2, phent);
  w.u16(h.rest + 4, phnum);
  w.u16(h.rest + 6, shent);
  w.u16(h.rest + 8, spec.sections ? sects.length + 2 : 0);
  w.u16(h.rest + 10, spec.sections ? sects.length + 1 : 0);
  let ph = ehsize;
  const phdr = (type: number, offset: number, size: number, palign: number) => {
    w.u32(ph, type);
    if (is64) {
      w.u32(ph + 4, 4);
      w.word(ph + 8, offset);
      w.word(ph + 16, BASE + offset);
      w.word(ph + 24, BASE + offset);
      w.word(ph + 32, size);
      w.word(ph + 40, size);
      w.word(ph + 48, palign);
    } else {
      w.u32(ph + 4, offset);
      w.u32(ph + 8, BASE + offset);
      w.u32(ph + 12, BASE + offset);
      w.u32(ph + 16, size);
      w.u32(ph + 20, size);
      w.u32(ph + 24, 4);
      w.u32(ph + 28, palign);
    }
    ph += phent;
  };
  if (spec.interp !== undefined) phdr(3, interpOff, Buffer.byteLength(spec.interp) + 1, 1);
  phdr(1, 0, b.length, 0x1000);
  phdr(2, dynOff, dyn.length * dynent, 8);
  if (spec.notes?.length) phdr(4, noteOff, noteBytes.length, 4);
  if (spec.interp !== undefined) b.write(spec.interp + '\0', interpOff, 'utf8');
  noteBytes.copy(b, noteOff);
  dynstr.copy(b, dynstrOff);
  let vo = verneedOff;
  verneed.forEach((v, i) => {
    w.u16(vo, 1);
    w.u16(vo + 2, v.versions.length);
    w.u32(vo + 4, v.file);
    w.u32(vo + 8, 16);
    const size = 16 + 16 * v.versions.length;
    w.u32(vo + 12, i === verneed.length - 1 ? 0 : size);
    v.versions.forEach((name, j) => {
      const a = vo + 16 + 16 * j;
      w.u32(a, 0x0d696910 + j); // vna_hash: any value; the reader does not check it
      w.u16(a + 6, 2 + j);
      w.u32(a + 8, name);
      w.u32(a + 12, j === v.versions.length - 1 ? 0 : 16);
    });
    vo += size;
  });
  dyn.forEach(([tag, val], i) => {
    w.word(dynOff + i * dynent, tag);
    w.word(dynOff + i * dynent + dynent / 2, val);
  });
  if (spec.sections) {
    shstr.copy(b, shstrOff);
    const all = [...sects.map((s) => ({ ...s, addr: BASE + s.offset })), { name: shstrName, type: 3, offset: shstrOff, size: shstr.length, link: 0, info: 0, addr: 0 }];
    all.forEach((s, i) => {
      const p = shoff + (i + 1) * shent;
      w.u32(p, s.name);
      w.u32(p + 4, s.type);
      const [addr, offset, size, link, info] = is64 ? [16, 24, 32, 40, 44] : [12, 16, 20, 24, 28];
      w.word(p + addr, s.addr);
      w.word(p + offset, s.offset);
      w.word(p + size, s.size);
      w.u32(p + link, s.link);
      w.u32(p + info, s.info);
    });
  }
  return { bytes: b, at: { phoff: ehsize, phnum, dynamic: dynOff, dynstr: dynstrOff, verneed: verneedOff, shoff }, base: BASE };
}

function note(n: { name: string; type: number; desc: Buffer }, le: boolean): Buffer {
  const name = Buffer.from(n.name + '\0');
  const pad = (x: number) => Math.ceil(x / 4) * 4;
  const b = Buffer.alloc(12 + pad(name.length) + pad(n.desc.length));
  const w = new Writer(b, le, false);
  w.u32(0, name.length);
  w.u32(4, n.desc.length);
  w.u32(8, n.type);
  name.copy(b, 12);
  n.desc.copy(b, 12 + pad(name.length));
  return b;
}

class Strings {
  private readonly parts: Buffer[] = [Buffer.from([0])];
  private size = 1;
  add(s: string): number {
    const at = this.size;
    const b = Buffer.from(s + '\0');
    this.parts.push(b);
    this.size += b.length;
    return at;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Field writers in one byte order and class; `word` is u64 in ELF64, u32 in ELF32. */
export class Writer {
  constructor(
    private readonly b: Buffer,
    private readonly le: boolean,
    private readonly is64: boolean,
  ) {}
  u16(o: number, v: number): void {
    if (this.le) this.b.writeUInt16LE(v, o);
    else this.b.writeUInt16BE(v, o);
  }
  u32(o: number, v: number): void {
    if (this.le) this.b.writeUInt32LE(v >>> 0, o);
    else this.b.writeUInt32BE(v >>> 0, o);
  }
  word(o: number, v: number | bigint): void {
    if (!this.is64) return this.u32(o, Number(v));
    if (this.le) this.b.writeBigUInt64LE(BigInt(v), o);
    else this.b.writeBigUInt64BE(BigInt(v), o);
  }
}
