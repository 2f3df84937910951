/**
 * Reads the key/data pairs of a BerkeleyDB hash database, the format of rpm's `Packages` file on
 * RHEL/CentOS <= 8 and Amazon Linux 2 (one pair per package: a 4-byte package number and the
 * header blob). Hand-written after BerkeleyDB's documented on-disk layout (db_page.h): no npm
 * library reads BerkeleyDB files (@snyk/rpm-parser bundles a BDB reader, but only inside its own
 * rpm pipeline with its own header parser, and no NDB); this one covers exactly what rpm writes:
 * - page 0 is the hash metadata page: magic 0x061561 at byte 12 in the file's byte order (which
 *   tells the order: rpm databases from big-endian hosts are byte-swapped), page size at 20,
 *   the last page number at 32;
 * - every page starts with a 26-byte header (next page at 16, entry count at 20, high free
 *   offset at 22, type at 25); hash pages (type 13, or 2 in hash v8 files) hold an array of 2-byte
 *   item offsets, items alternating key and data, each item's length running to the previous
 *   item's start;
 * - an item is inline (type 1, the bytes follow) or off-page (type 3: first overflow page at +4,
 *   total length at +8), stored on a chain of overflow pages (type 7) whose header's high free
 *   offset is the number of bytes the page holds.
 * Every offset and length is checked against the page and the file, and chains against loops, so
 * a corrupt or truncated file gives a `BdbError`, never a crash or a hang.
 */

/** A BerkeleyDB file that cannot be read, with the reason. */
export class BdbError extends Error {}

const HASH_MAGIC = 0x061561;
const META_HASH = 8;
const PAGE_OVERFLOW = 7;
const PAGE_HASH_UNSORTED = 2;
const PAGE_HASH = 13;
const PAGE_HEADER = 26;
const ITEM_KEYDATA = 1;
const ITEM_DUPLICATE = 2;
const ITEM_OFFPAGE = 3;
const ITEM_OFFDUP = 4;

/** One key/data pair of the database. */
export interface BdbEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/** The pairs of a hash database and the byte order its integers (and rpm's keys) are in. */
export interface BdbHash {
  littleEndian: boolean;
  entries: BdbEntry[];
}

interface Db {
  b: Buffer;
  le: boolean;
  pageSize: number;
  lastPage: number;
}

const u16 = (db: Db, o: number): number => (db.le ? db.b.readUInt16LE(o) : db.b.readUInt16BE(o));
const u32 = (db: Db, o: number): number => (db.le ? db.b.readUInt32LE(o) : db.b.readUInt32BE(o));

/** Whether `content` starts like a BerkeleyDB hash database (either byte order). */
export function isBdbHash(content: Uint8Array): boolean {
  if (content.length < 26) return false;
  const b = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  return (b.readUInt32LE(12) === HASH_MAGIC || b.readUInt32BE(12) === HASH_MAGIC) && b[25] === META_HASH;
}

function openDb(content: Uint8Array): Db {
  const b = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (b.length < 512) throw new BdbError(`${b.length} bytes, shorter than a BerkeleyDB metadata page`);
  const le = b.readUInt32LE(12) === HASH_MAGIC;
  if (!le && b.readUInt32BE(12) !== HASH_MAGIC) throw new BdbError('not a BerkeleyDB hash database (no hash magic at byte 12)');
  const db: Db = { b, le, pageSize: 0, lastPage: 0 };
  if (b[25] !== META_HASH) throw new BdbError(`metadata page has type ${b[25]}, not hash metadata`);
  if (b[24] !== 0) throw new BdbError('encrypted BerkeleyDB databases are not read');
  db.pageSize = u32(db, 20);
  if (db.pageSize < 512 || db.pageSize > 65536 || (db.pageSize & (db.pageSize - 1)) !== 0) throw new BdbError(`implausible page size ${db.pageSize}`);
  db.lastPage = u32(db, 32);
  const need = (db.lastPage + 1) * db.pageSize;
  if (b.length < need) throw new BdbError(`truncated: ${b.length} bytes, the metadata says ${db.lastPage + 1} pages of ${db.pageSize} (${need} bytes)`);
  return db;
}

/** The bytes of an off-page item: its chain of overflow pages, `total` bytes in all. */
function readOverflow(db: Db, first: number, total: number): Uint8Array {
  const out = Buffer.alloc(total);
  let got = 0;
  let page = first;
  // A chain visits each page at most once; more hops than pages is a loop.
  for (let hops = 0; got < total; hops++) {
    if (page === 0 || page > db.lastPage || hops > db.lastPage) throw new BdbError(`overflow chain from page ${first} breaks at page ${page}`);
    const p = page * db.pageSize;
    if (db.b[p + 25] !== PAGE_OVERFLOW) throw new BdbError(`page ${page} of an overflow chain has type ${db.b[p + 25]}`);
    const len = u16(db, p + 22);
    if (len > db.pageSize - PAGE_HEADER || got + len > total) throw new BdbError(`overflow page ${page} holds ${len} bytes, more than the item's ${total}`);
    if (len === 0) throw new BdbError(`overflow page ${page} is empty before the item's end`);
    db.b.copy(out, got, p + PAGE_HEADER, p + PAGE_HEADER + len);
    got += len;
    page = u32(db, p + 16);
  }
  return out;
}

/** The bytes of item `i` on the hash page at byte `p`. */
function readItem(db: Db, p: number, pageNo: number, i: number, offsets: number[]): Uint8Array {
  const start = offsets[i]!;
  const end = i === 0 ? db.pageSize : offsets[i - 1]!;
  if (start < PAGE_HEADER + 2 * offsets.length || start >= end || end > db.pageSize) throw new BdbError(`hash page ${pageNo}: item ${i} lies outside the page`);
  const type = db.b[p + start]!;
  if (type === ITEM_KEYDATA) return db.b.subarray(p + start + 1, p + end);
  if (type === ITEM_OFFPAGE) {
    if (end - start < 12) throw new BdbError(`hash page ${pageNo}: off-page item ${i} is too short`);
    return readOverflow(db, u32(db, p + start + 4), u32(db, p + start + 8));
  }
  if (type === ITEM_DUPLICATE || type === ITEM_OFFDUP) throw new BdbError(`hash page ${pageNo}: duplicate keys, which rpm never writes`);
  throw new BdbError(`hash page ${pageNo}: item ${i} has unknown type ${type}`);
}

/** Every key/data pair of a BerkeleyDB hash database. Throws `BdbError` on anything malformed. */
export function readBdbHash(content: Uint8Array): BdbHash {
  const db = openDb(content);
  const entries: BdbEntry[] = [];
  // Every bucket page and bucket-overflow page is a hash page; reading them all in file order
  // gives every pair once without following the bucket chains.
  for (let page = 1; page <= db.lastPage; page++) {
    const p = page * db.pageSize;
    const type = db.b[p + 25];
    if (type !== PAGE_HASH && type !== PAGE_HASH_UNSORTED) continue;
    const n = u16(db, p + 20);
    if (n % 2 !== 0 || PAGE_HEADER + 2 * n > db.pageSize) throw new BdbError(`hash page ${page}: ${n} items do not make key/data pairs on the page`);
    const offsets = Array.from({ length: n }, (_, i) => u16(db, p + PAGE_HEADER + 2 * i));
    for (let i = 0; i < n; i += 2) entries.push({ key: readItem(db, p, page, i, offsets), value: readItem(db, p, page, i + 1, offsets) });
  }
  return { littleEndian: db.le, entries };
}
