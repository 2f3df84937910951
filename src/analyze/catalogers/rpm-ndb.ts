/**
 * Reads the package blobs of rpm's ndb database (`Packages.db`, SUSE and openSUSE since 2019).
 * Hand-written after the layout rpm documents in lib/backend/ndb/rpmpkg.c (no npm library reads
 * it); all integers little-endian:
 * - a 32-byte header: magic `RpmP`, version 0, generation, number of slot pages, next package
 *   index;
 * - slot pages of 4 KiB right after it (the header takes the first two 16-byte slots): each
 *   slot is magic `Slot`, package index, block offset, block count (offset 0: empty slot);
 * - blobs in 16-byte blocks: head (magic `BlbS`, package index, timestamp, length), the header
 *   blob, zero padding, tail (adler32 of everything before it, length, magic `BlbE`).
 * Every slot and blob is checked as rpm checks it (magics, bounds, lengths, checksum), so a
 * corrupt or truncated file gives an `NdbError`, never a crash or a wrong blob.
 */

/** An ndb file that cannot be read, with the reason. */
export class NdbError extends Error {}

const PAGE = 4096;
const BLOCK = 16;
const HEADER = 32;
const BLOB_HEAD = 16;
const BLOB_TAIL = 12;
const magic = (s: string): number => Buffer.from(s, 'latin1').readUInt32LE(0);
const DB_MAGIC = magic('RpmP');
const SLOT_MAGIC = magic('Slot');
const HEAD_MAGIC = magic('BlbS');
const TAIL_MAGIC = magic('BlbE');

/** One package of the database: rpm's package index and its header blob. */
export interface NdbPackage {
  index: number;
  blob: Uint8Array;
}

/** Whether `content` starts with ndb's magic. */
export function isNdb(content: Uint8Array): boolean {
  return content.length >= 4 && Buffer.from(content.buffer, content.byteOffset, 4).readUInt32LE(0) === DB_MAGIC;
}

/** RFC 1950's adler32 of `b[start, end)`. */
function adler32(b: Buffer, start: number, end: number): number {
  let s1 = 1;
  let s2 = 0;
  // 5552 is the longest run before s2 can overflow 2^32 in 32-bit arithmetic.
  for (let i = start; i < end; ) {
    const stop = Math.min(end, i + 5552);
    for (; i < stop; i++) {
      s1 += b[i]!;
      s2 += s1;
    }
    s1 %= 65521;
    s2 %= 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

function readBlob(b: Buffer, index: number, blkoff: number, blkcnt: number): Uint8Array {
  const at = blkoff * BLOCK;
  const end = at + blkcnt * BLOCK;
  if (blkcnt * BLOCK < BLOB_HEAD + BLOB_TAIL) throw new NdbError(`package ${index}: ${blkcnt} blocks cannot hold a blob`);
  if (b.readUInt32LE(at) !== HEAD_MAGIC || b.readUInt32LE(at + 4) !== index) throw new NdbError(`package ${index}: no blob head at block ${blkoff}`);
  const len = b.readUInt32LE(at + 12);
  if (Math.ceil((BLOB_HEAD + len + BLOB_TAIL) / BLOCK) !== blkcnt) throw new NdbError(`package ${index}: blob of ${len} bytes does not fill its ${blkcnt} blocks`);
  const tail = end - BLOB_TAIL;
  if (b.readUInt32LE(tail + 4) !== len || b.readUInt32LE(tail + 8) !== TAIL_MAGIC) throw new NdbError(`package ${index}: blob tail missing or wrong`);
  if (b.readUInt32LE(tail) !== adler32(b, at, tail)) throw new NdbError(`package ${index}: blob checksum mismatch`);
  return b.subarray(at + BLOB_HEAD, at + BLOB_HEAD + len);
}

/** Every package blob of an ndb `Packages.db`, by package index. Throws `NdbError` on anything malformed. */
export function readNdb(content: Uint8Array): NdbPackage[] {
  const b = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (b.length < HEADER || b.readUInt32LE(0) !== DB_MAGIC) throw new NdbError('not an rpm ndb database (no RpmP magic)');
  const version = b.readUInt32LE(4);
  if (version !== 0) throw new NdbError(`ndb version ${version}, only 0 exists`);
  const slotPages = b.readUInt32LE(12);
  if (slotPages === 0 || slotPages > b.length / PAGE) throw new NdbError(`truncated: ${b.length} bytes cannot hold the ${slotPages} slot pages the header names`);
  if (b.length % BLOCK !== 0) throw new NdbError(`truncated: ${b.length} bytes is not a whole number of 16-byte blocks`);
  const fileBlocks = b.length / BLOCK;
  const firstDataBlock = (slotPages * PAGE) / BLOCK;
  const out: NdbPackage[] = [];
  for (let o = HEADER; o < slotPages * PAGE; o += 16) {
    if (b.readUInt32LE(o) !== SLOT_MAGIC) throw new NdbError(`slot at byte ${o} has no Slot magic`);
    const blkoff = b.readUInt32LE(o + 8);
    if (blkoff === 0) continue;
    const index = b.readUInt32LE(o + 4);
    const blkcnt = b.readUInt32LE(o + 12);
    if (index === 0 || blkcnt === 0 || blkoff < firstDataBlock) throw new NdbError(`slot at byte ${o} is malformed`);
    if (blkoff + blkcnt > fileBlocks) throw new NdbError(`truncated: package ${index} ends past the end of the file`);
    out.push({ index, blob: readBlob(b, index, blkoff, blkcnt) });
  }
  return out.sort((x, y) => x.index - y.index);
}
