/**
 * RPM packages from the sqlite rpm database (`rpmdb.sqlite`, Fedora 33+/RHEL 9+/openSUSE), whose
 * `Packages` table holds one rpm header blob per package. The header parser is hand-written: the
 * format is a small fixed layout (index count, data size, 16-byte index entries, data store; see
 * rpm's lib/header.c) and no JS library reads it. sqlite is read with sql.js (wasm), which needs
 * the database in memory, hence the size limit. BerkeleyDB (`Packages`) and ndb (`Packages.db`)
 * databases are NOT read: they produce a warning and no packages.
 */
import initSqlJs from 'sql.js';
import { distroQualifier, purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';

const DIRS = ['/var/lib/rpm/', '/usr/lib/sysimage/rpm/'];

const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, license: 1014, arch: 1022, sourceRpm: 1044 } as const;
const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

/** The fields of one rpm header we report. */
export interface RpmHeader {
  name?: string;
  version?: string;
  release?: string;
  epoch?: number;
  license?: string;
  arch?: string;
  sourceRpm?: string;
}

/** Parses an rpm header blob as stored in rpmdb (no lead, no header magic). Throws on bad input. */
export function parseRpmHeader(blob: Uint8Array): RpmHeader {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 8) throw new Error('rpm header shorter than 8 bytes');
  let off = 0;
  // Some copies keep the 8-byte header magic (8e ad e8 01 + 4 reserved); skip it.
  if (b[0] === 0x8e && b[1] === 0xad && b[2] === 0xe8) off = 8;
  const il = b.readUInt32BE(off);
  const dl = b.readUInt32BE(off + 4);
  const indexStart = off + 8;
  const dataStart = indexStart + il * 16;
  if (il > 100000 || dataStart + dl > b.length) throw new Error(`rpm header sizes out of range (il=${il}, dl=${dl}, blob=${b.length})`);
  const str = (o: number): string => {
    const start = dataStart + o;
    const end = b.indexOf(0, start);
    if (start >= dataStart + dl || end < 0) throw new Error('rpm header string out of range');
    return b.toString('utf8', start, end);
  };
  const h: RpmHeader = {};
  for (let i = 0; i < il; i++) {
    const e = indexStart + i * 16;
    const tag = b.readUInt32BE(e);
    const type = b.readUInt32BE(e + 4);
    const o = b.readInt32BE(e + 8);
    if (o < 0 || o >= dl) continue;
    let v: string | number | undefined;
    if (type === TYPE_STRING || type === TYPE_I18NSTRING || type === TYPE_STRING_ARRAY) v = str(o);
    else if (type === TYPE_INT32) v = b.readUInt32BE(dataStart + o);
    switch (tag) {
      case TAG.name:
        h.name = String(v);
        break;
      case TAG.version:
        h.version = String(v);
        break;
      case TAG.release:
        h.release = String(v);
        break;
      case TAG.epoch:
        if (typeof v === 'number') h.epoch = v;
        break;
      case TAG.license:
        h.license = String(v);
        break;
      case TAG.arch:
        h.arch = String(v);
        break;
      case TAG.sourceRpm:
        h.sourceRpm = String(v);
        break;
    }
  }
  return h;
}

let sql: Promise<initSqlJs.SqlJsStatic> | undefined;

/** Packages from the bytes of an rpmdb.sqlite file. */
export async function parseRpmSqlite(content: Uint8Array, path: string, ctx: CatalogContext): Promise<Package[]> {
  sql ??= initSqlJs();
  const SQL = await sql;
  let db;
  try {
    db = new SQL.Database(content);
  } catch (e) {
    ctx.warn(`${path}: not a sqlite database (${(e as Error).message})`);
    return [];
  }
  const out: Package[] = [];
  try {
    const rows = db.exec('SELECT blob FROM Packages');
    for (const row of rows[0]?.values ?? []) {
      const blob = row[0];
      if (!(blob instanceof Uint8Array)) continue;
      let h: RpmHeader;
      try {
        h = parseRpmHeader(blob);
      } catch (e) {
        ctx.warn(`${path}: unreadable rpm header (${(e as Error).message})`);
        continue;
      }
      // gpg-pubkey pseudo-packages are keys, not software.
      if (!h.name || !h.version || h.name === 'gpg-pubkey') continue;
      const vr = h.release ? `${h.version}-${h.release}` : h.version;
      const version = h.epoch !== undefined ? `${h.epoch}:${vr}` : vr;
      const src = h.sourceRpm ? /^(.+)-([^-]+-[^-]+)\.(?:no)?src\.rpm$/.exec(h.sourceRpm) : null;
      out.push({
        name: h.name,
        version,
        type: 'rpm',
        purl: purl('rpm', ctx.distro?.id, h.name, vr, {
          arch: h.arch,
          epoch: h.epoch !== undefined ? String(h.epoch) : undefined,
          distro: distroQualifier(ctx.distro),
        }),
        ...(h.license ? { licenses: [h.license] } : {}),
        ...(h.arch ? { arch: h.arch } : {}),
        ...(src ? { sourceName: src[1]!, sourceVersion: src[2]! } : {}),
        locations: [path],
        cataloger: 'rpm',
      });
    }
  } catch (e) {
    ctx.warn(`${path}: no readable Packages table (${(e as Error).message})`);
  } finally {
    db.close();
  }
  return out;
}

export const rpmCataloger: Cataloger = {
  name: 'rpm',
  needsDistro: true,
  maxSize: 512 * 1024 * 1024,
  wants(path) {
    const dir = DIRS.find((d) => path.startsWith(d));
    if (!dir) return false;
    const base = path.slice(dir.length);
    if (base === 'rpmdb.sqlite') return true;
    if (base === 'Packages' || base === 'Packages.db') return 'path';
    return false;
  },
  parse(path, content, ctx) {
    if (path.endsWith('/rpmdb.sqlite')) return parseRpmSqlite(content, path, ctx);
    ctx.warn(`${path}: rpm database in BerkeleyDB/ndb format is not read; its packages are not listed`);
    return [];
  },
};
