/**
 * RPM packages from the three rpm database formats, each a store of one rpm header blob per
 * package: sqlite (`rpmdb.sqlite`, Fedora 33+/RHEL 9+/openSUSE), BerkeleyDB hash (`Packages`,
 * RHEL/CentOS <= 8, Amazon Linux 2; read by rpm-bdb.ts) and ndb (`Packages.db`, SUSE; read by
 * rpm-ndb.ts). The header parser is hand-written: the format is a small fixed layout (index
 * count, data size, 16-byte index entries, data store; see rpm's lib/header.c) and no JS library
 * reads it. sqlite is read with sql.js (wasm), which needs the database in memory, hence the size
 * limit. A database that cannot be read is a warning naming the file and why, never a silent
 * empty list.
 */
import type initSqlJs from 'sql.js';
import { BdbError, readBdbHash } from './rpm-bdb.ts';
import { NdbError, readNdb } from './rpm-ndb.ts';
import { distroQualifier, purl, rpmNamespace, type CatalogContext, type Cataloger, type Package } from '../package.ts';

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

// Loaded on the first rpm database: most images have none, and sql.js is large to load.
let sql: Promise<initSqlJs.SqlJsStatic> | undefined;

/** Packages from the bytes of an rpmdb.sqlite file. */
export async function parseRpmSqlite(content: Uint8Array, path: string, ctx: CatalogContext): Promise<Package[]> {
  sql ??= import('sql.js').then((m) => m.default());
  const SQL = await sql;
  let db;
  try {
    db = new SQL.Database(content);
  } catch (e) {
    ctx.warn(`${path}: not a sqlite database (${(e as Error).message})`);
    return [];
  }
  try {
    const rows = db.exec('SELECT blob FROM Packages');
    const blobs = (rows[0]?.values ?? []).map((row) => row[0]).filter((b): b is Uint8Array => b instanceof Uint8Array);
    return packagesFromHeaders(blobs, path, ctx);
  } catch (e) {
    ctx.warn(`${path}: no readable Packages table (${(e as Error).message})`);
    return [];
  } finally {
    db.close();
  }
}

/** The package of one header blob, or undefined (with a warning when unreadable) for none. */
function packageFromHeader(blob: Uint8Array, path: string, ctx: CatalogContext): Package | undefined {
  let h: RpmHeader;
  try {
    h = parseRpmHeader(blob);
  } catch (e) {
    ctx.warn(`${path}: unreadable rpm header (${(e as Error).message})`);
    return undefined;
  }
  // gpg-pubkey pseudo-packages are keys, not software.
  if (!h.name || !h.version || h.name === 'gpg-pubkey') return undefined;
  const vr = h.release ? `${h.version}-${h.release}` : h.version;
  const version = h.epoch !== undefined ? `${h.epoch}:${vr}` : vr;
  const src = h.sourceRpm ? /^(.+)-([^-]+-[^-]+)\.(?:no)?src\.rpm$/.exec(h.sourceRpm) : null;
  return {
    name: h.name,
    version,
    type: 'rpm',
    purl: purl('rpm', rpmNamespace(ctx.distro), h.name, vr, {
      arch: h.arch,
      epoch: h.epoch !== undefined ? String(h.epoch) : undefined,
      distro: distroQualifier(ctx.distro),
    }),
    ...(h.license ? { licenses: [h.license] } : {}),
    ...(h.arch ? { arch: h.arch } : {}),
    ...(src ? { sourceName: src[1]!, sourceVersion: src[2]! } : {}),
    locations: [path],
    cataloger: 'rpm',
  };
}

function packagesFromHeaders(blobs: Iterable<Uint8Array>, path: string, ctx: CatalogContext): Package[] {
  const out: Package[] = [];
  for (const blob of blobs) {
    const p = packageFromHeader(blob, path, ctx);
    if (p) out.push(p);
  }
  return out;
}

/** Packages from the bytes of a BerkeleyDB `Packages` file. */
export function parseRpmBdb(content: Uint8Array, path: string, ctx: CatalogContext): Package[] {
  let db;
  try {
    db = readBdbHash(content);
  } catch (e) {
    if (!(e instanceof BdbError)) throw e;
    ctx.warn(`${path}: unreadable BerkeleyDB rpm database (${e.message}); its packages are not listed`);
    return [];
  }
  // Keys are package numbers in the database's byte order; record 0 is rpm's counter of them,
  // not a package. Hash order is arbitrary, so packages come in package-number order.
  const number = (k: Uint8Array): number => (k.length !== 4 ? -1 : Buffer.from(k)[db.littleEndian ? 'readUInt32LE' : 'readUInt32BE'](0));
  const blobs = db.entries
    .map((e) => ({ n: number(e.key), value: e.value }))
    .filter((e) => e.n !== 0)
    .sort((x, y) => x.n - y.n)
    .map((e) => e.value);
  return packagesFromHeaders(blobs, path, ctx);
}

/** Packages from the bytes of an ndb `Packages.db` file. */
export function parseRpmNdb(content: Uint8Array, path: string, ctx: CatalogContext): Package[] {
  let pkgs;
  try {
    pkgs = readNdb(content);
  } catch (e) {
    if (!(e instanceof NdbError)) throw e;
    ctx.warn(`${path}: unreadable ndb rpm database (${e.message}); its packages are not listed`);
    return [];
  }
  return packagesFromHeaders(
    pkgs.map((p) => p.blob),
    path,
    ctx,
  );
}

export const rpmCataloger: Cataloger = {
  name: 'rpm',
  needsDistro: true,
  maxSize: 512 * 1024 * 1024,
  wants(path) {
    const dir = DIRS.find((d) => path.startsWith(d));
    if (!dir) return false;
    const base = path.slice(dir.length);
    return base === 'rpmdb.sqlite' || base === 'Packages' || base === 'Packages.db';
  },
  parse(path, content, ctx) {
    if (path.endsWith('/rpmdb.sqlite')) return parseRpmSqlite(content, path, ctx);
    if (path.endsWith('/Packages.db')) return parseRpmNdb(content, path, ctx);
    return parseRpmBdb(content, path, ctx);
  },
};
