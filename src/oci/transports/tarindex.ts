/**
 * Random access into an uncompressed tar archive: one pass over the headers records where each
 * member's data lies, then members are read with ranged file streams. Hand-written because
 * tar-stream (and every other streaming tar library) yields members in order only, and the
 * archive transports need blobs in manifest order without extracting the archive.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DistillError } from '../../util/errors.ts';

export interface TarMember {
  name: string;
  type: string;
  offset: number;
  size: number;
  linkname: string;
}

const BLOCK = 512;

function cstr(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

function parseNumeric(buf: Buffer, start: number, len: number, what: string): number {
  // GNU base-256 encoding for sizes over 8 GiB.
  if (buf[start]! & 0x80) {
    // 0xff starts a negative (two's complement) number: no size or offset is negative.
    if (buf[start] === 0xff) throw new DistillError(what, 'tar header holds a negative base-256 number', { code: 'E_INPUT' });
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + buf[i]!;
    if (!Number.isSafeInteger(v)) throw new DistillError(what, 'tar header size is out of range', { code: 'E_REFUSED' });
    return v;
  }
  const s = cstr(buf, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new DistillError(what, `malformed tar header number "${s.slice(0, 20)}"`, { code: 'E_INPUT' });
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseInt(cstr(h, 148, 8).trim() || 'NaN', 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === stored;
}

function paxPath(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp === -1) break;
    const len = parseInt(data.toString('utf8', i, sp), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = data.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Lists the members of the tar file at `file`, with their data offsets. */
export async function indexTar(file: string, what = file): Promise<TarMember[]> {
  const fh = await open(file, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    const members: TarMember[] = [];
    const header = Buffer.alloc(BLOCK);
    let pos = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: Record<string, string> = {};
    while (pos + BLOCK <= fileSize) {
      await fh.read(header, 0, BLOCK, pos);
      if (header.every((b) => b === 0)) break;
      if (!checksumOk(header)) throw new DistillError(what, `not a tar archive (bad header checksum at offset ${pos})`, { code: 'E_INPUT' });
      const size = parseNumeric(header, 124, 12, what);
      const type = String.fromCharCode(header[156] || 0x30);
      const dataStart = pos + BLOCK;
      if (dataStart + size > fileSize) throw new DistillError(what, `truncated tar archive: member at offset ${pos} needs ${size} bytes`, { code: 'E_TRUNCATED' });
      const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
        if (size > 1024 * 1024) throw new DistillError(what, `tar extended header of ${size} bytes is too large`, { code: 'E_REFUSED' });
        const data = Buffer.alloc(size);
        await fh.read(data, 0, size, dataStart);
        if (type === 'L') longName = cstr(data, 0, size);
        else if (type === 'K') longLink = cstr(data, 0, size);
        else if (type === 'x') pax = paxPath(data);
        pos = next;
        continue;
      }
      const magic = header.toString('latin1', 257, 263);
      const prefix = magic.startsWith('ustar') ? cstr(header, 345, 155) : '';
      const base = cstr(header, 0, 100);
      const name = pax.path ?? longName ?? (prefix ? `${prefix}/${base}` : base);
      const linkname = pax.linkpath ?? longLink ?? cstr(header, 157, 100);
      if (pax.size !== undefined && !/^\d+$/.test(pax.size)) throw new DistillError(what, `malformed PAX size ${JSON.stringify(pax.size.slice(0, 20))} of ${JSON.stringify(name)}`, { code: 'E_INPUT' });
      members.push({ name: name.replace(/^\.\//, ''), type, offset: dataStart, size: pax.size ? Number(pax.size) : size, linkname });
      longName = longLink = undefined;
      pax = {};
      pos = next;
    }
    return members;
  } finally {
    await fh.close();
  }
}

/** A tar file opened for random access by member name. */
export class TarArchive {
  private constructor(
    readonly file: string,
    private readonly byName: Map<string, TarMember>,
    private readonly what: string,
  ) {}

  static async open(file: string, what = file): Promise<TarArchive> {
    const members = await indexTar(file, what);
    const byName = new Map<string, TarMember>();
    for (const m of members) byName.set(m.name.replace(/\/+$/, ''), m);
    return new TarArchive(file, byName, what);
  }

  has(name: string): boolean {
    return this.byName.has(normal(name));
  }

  member(name: string): TarMember {
    const m = this.byName.get(normal(name));
    if (!m) throw new DistillError(this.what, `archive has no member ${name}`, { code: 'E_NOT_FOUND' });
    // Follow hard links within the archive (docker save links duplicate layers).
    if (m.type === '1') return this.member(m.linkname);
    return m;
  }

  stream(name: string): Readable {
    const m = this.member(name);
    if (m.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 1024 * 1024 });
  }

  async read(name: string, limit: number): Promise<Buffer> {
    const m = this.member(name);
    if (m.size > limit) throw new DistillError(this.what, `${name} is ${m.size} bytes; refusing to read it whole`, { code: 'E_REFUSED' });
    const fh = await open(this.file, 'r');
    try {
      const buf = Buffer.alloc(m.size);
      await fh.read(buf, 0, m.size, m.offset);
      return buf;
    } finally {
      await fh.close();
    }
  }
}

function normal(name: string): string {
  return name.replace(/^\.\//, '').replace(/\/+$/, '');
}
