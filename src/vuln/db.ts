/**
 * The local OSV database: import from the OSV export layout (one `all.zip` per ecosystem
 * directory, a single zip, or directories of JSON records), download from a base URL given by the
 * user, and read back by (ecosystem, package name) at scan time.
 *
 * On disk, under `<cache>/osv/`: per base ecosystem (`Debian`, `npm`, …) one NDJSON file of
 * compacted records (the fields matching and reporting need) and one JSON index mapping each
 * package name to the byte ranges of its records, plus `meta.json` naming the current files, the
 * DB date (newest `modified`) and the import time. Files carry a generation suffix and meta.json
 * is replaced last (temp + rename), so a reader never sees an index paired with the wrong data.
 * Importing only some ecosystems replaces those and keeps the others. Downloading from an OSV
 * source (validators, refresh, offline) is `source.ts`'s; this module only imports and reads.
 *
 * A scan of a fat image wants tens of thousands of records: `prefetch` reads those of all its
 * packages in a few large reads (one small read each cost more than the matching), and lookups
 * then parse them from memory.
 */
import { closeSync, createWriteStream, fstatSync, openSync, readSync, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import type yauzlType from 'yauzl';
import { cacheDir } from '../util/cache.ts';
import { codeOf, DistillError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/files.ts';
import { parseOsvRecord, type OsvRecord } from './osv.ts';
import { baseEcosystem } from './versions/index.ts';

/** The one line that tells a user without a DB how to get one. */
export const HOW_TO_GET_A_DB = 'run `distill db update` (or `distill db import DIR|ZIP` on a host without network)';

/** A DB older than this (by its newest record) is reported as stale. */
export const STALE_AFTER_DAYS = 7;

/** What the source said about an ecosystem's `all.zip` when it was last fetched or re-checked. */
export interface FetchState {
  /** The URL of the zip. */
  url: string;
  etag?: string;
  lastModified?: string;
  /** Base64 MD5 and CRC32C of the object, from `x-goog-hash` (or computed for md5). */
  md5?: string;
  crc32c?: string;
  /** File sources: size and mtime of the zip. */
  size?: number;
  mtimeMs?: number;
  /** When the source was last asked (ISO time): the refresh threshold counts from here. */
  checkedAt: string;
}

export interface EcosystemMeta {
  records: number;
  packages: number;
  /** Newest `modified` among this ecosystem's records. */
  newest: string | null;
  importedAt: string;
  data: string;
  index: string;
  /** Present when the ecosystem came from an OSV source (`db update`, auto-fetch), not `db import`. */
  fetched?: FetchState;
}

export interface DbMeta {
  schema: 1;
  /** Newest `modified` of any record: how current the data is. */
  dbDate: string | null;
  importedAt: string;
  source: string;
  ecosystems: Record<string, EcosystemMeta>;
}

export interface ImportSummary {
  dir: string;
  dbDate: string | null;
  ecosystems: Record<string, { records: number; packages: number }>;
  /** Files or zip entries that were not OSV records, with why (first 20). */
  rejected: { input: string; error: string }[];
  rejectedCount: number;
}

/** `<cache>/osv`: `$DISTILL_CACHE_DIR/osv`, else `$XDG_CACHE_HOME/distill/osv`, else `~/.cache/distill/osv`. */
export function defaultOsvDir(): string {
  return join(cacheDir(), 'osv');
}

/** Package names as OSV keys them: PyPI names are normalised per PEP 503, others are exact. */
export function packageKey(ecosystem: string, name: string): string {
  return baseEcosystem(ecosystem) === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

function safeName(eco: string): string {
  return eco.replace(/[^A-Za-z0-9._-]/g, '_');
}

// Only the rating keys of ecosystem_specific matter here (Go's symbol lists can be large).
function pickSeverity(x: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!x) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of ['severity', 'urgency']) if (x[k] !== undefined) out[k] = x[k];
  return Object.keys(out).length ? out : undefined;
}

// The fields matching and reports use; `details` and long reference lists are dropped.
function compact(r: OsvRecord, base: string): OsvRecord {
  const refs = (r.references ?? []).filter((x) => x.type === 'ADVISORY' || x.type === 'WEB').slice(0, 3);
  const out: OsvRecord = {
    id: r.id,
    modified: r.modified,
    aliases: r.aliases,
    affected: r.affected
      .filter((a) => a.package && baseEcosystem(a.package.ecosystem) === base)
      .map((a) => ({
        package: a.package,
        ranges: a.ranges.filter((x) => x.type !== 'GIT').map((x) => ({ type: x.type, events: x.events })),
        versions: a.versions,
        ...(a.severity ? { severity: a.severity } : {}),
        ...(pickSeverity(a.ecosystem_specific) ? { ecosystem_specific: pickSeverity(a.ecosystem_specific) } : {}),
        ...(a.database_specific?.severity ? { database_specific: { severity: a.database_specific.severity } } : {}),
      })),
  };
  if (r.published) out.published = r.published;
  if (r.withdrawn) out.withdrawn = r.withdrawn;
  if (r.upstream?.length) out.upstream = r.upstream;
  if (r.related?.length) out.related = r.related;
  if (r.summary) out.summary = r.summary;
  else if (r.details) out.summary = r.details.split('\n')[0]!.slice(0, 200);
  if (r.severity?.length) out.severity = r.severity;
  if (r.database_specific?.severity) out.database_specific = { severity: r.database_specific.severity };
  if (refs.length) out.references = refs;
  return out;
}

const BLOCK = 1 << 20;
const BLOCKS_CACHED = 8;

/**
 * A yauzl reader over a small cache of 1 MiB blocks: yauzl asks for each header and entry with
 * its own small read, and an OSV export is mostly a long run of tiny entries, so serving them from
 * a few cached blocks turns hundreds of thousands of reads into one sequential pass. Memory stays
 * bounded (8 MiB), whatever the zip size.
 */
function defineBlockReader(yauzl: typeof yauzlType) {
  return class BlockReader extends yauzl.RandomAccessReader {
    readonly size: number;
    private fd: number;
    private cache = new Map<number, Buffer>();

    constructor(path: string) {
      super();
      try {
        this.fd = openSync(path, 'r');
      } catch (e) {
        throw new DistillError(path, `cannot open: ${(e as Error).message}`, { code: codeOf(e) });
      }
      this.size = fstatSync(this.fd).size;
    }

    private block(n: number): Buffer {
      let b = this.cache.get(n);
      if (b) {
        this.cache.delete(n); // re-insert: Map order is the LRU order
        this.cache.set(n, b);
        return b;
      }
      const buf = Buffer.allocUnsafe(Math.min(BLOCK, this.size - n * BLOCK));
      const got = readSync(this.fd, buf, 0, buf.length, n * BLOCK);
      b = buf.subarray(0, got);
      this.cache.set(n, b);
      if (this.cache.size > BLOCKS_CACHED) this.cache.delete(this.cache.keys().next().value!);
      return b;
    }

    override _readStreamForRange(start: number, end: number): Readable {
      const data = this.range(start, end);
      return new Readable({
        read() {
          if (data.length) this.push(data);
          this.push(null);
        },
      });
    }

    // yauzl reads every header through read(); its default builds two streams per call, which cost
    // more than the entry itself, so copy from the cached blocks (answering asynchronously, as fs does).
    override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
      const got = this.range(position, position + length);
      got.copy(buffer, offset);
      queueMicrotask(() => callback(null, got.length));
    }

    /** Bytes [start, end) of the file (shorter if the file ends first). */
    range(start: number, end: number): Buffer {
      const out = Buffer.allocUnsafe(Math.max(0, end - start));
      let pos = start;
      while (pos < end) {
        const n = Math.floor(pos / BLOCK);
        const b = this.block(n);
        const from = pos - n * BLOCK;
        const take = Math.min(end - pos, b.length - from);
        if (take <= 0) break;
        b.copy(out, pos - start, from, from + take);
        pos += take;
      }
      return out.subarray(0, pos - start);
    }

    override close(callback: (err: Error | null) => void): void {
      this.cache.clear();
      try {
        closeSync(this.fd);
        callback(null);
      } catch (e) {
        callback(e as Error);
      }
    }
  };
}

type BlockReader = InstanceType<ReturnType<typeof defineBlockReader>>;

// yauzl is needed only to import: loaded then, so a scan does not pay for it.
let yauzlLoaded: { yauzl: typeof yauzlType; BlockReader: ReturnType<typeof defineBlockReader> } | undefined;
async function loadYauzl(): Promise<NonNullable<typeof yauzlLoaded>> {
  if (!yauzlLoaded) {
    const yauzl = (await import('yauzl')).default;
    yauzlLoaded = { yauzl, BlockReader: defineBlockReader(yauzl) };
  }
  return yauzlLoaded;
}

/** Largest record we accept from a zip entry; OSV records are kilobytes. */
const MAX_ENTRY = 64 << 20;

function readEntryData(reader: BlockReader, entry: yauzlType.Entry, start: number): Buffer {
  if (entry.generalPurposeBitFlag & 1) throw new Error(`${entry.fileName}: encrypted entries are not supported`);
  if (entry.uncompressedSize > MAX_ENTRY) throw new Error(`${entry.fileName}: entry larger than ${MAX_ENTRY} bytes`);
  const raw = reader.range(start, start + entry.compressedSize);
  let data: Buffer;
  if (entry.compressionMethod === 0) data = raw;
  // An output chunk just over the announced size: zlib's default 16 KiB chunk is a fresh
  // allocation per entry (too big for Buffer's pool), which cost more than inflating a record.
  else if (entry.compressionMethod === 8) data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize), chunkSize: Math.max(64, entry.uncompressedSize + 1) });
  else throw new Error(`${entry.fileName}: unsupported compression method ${entry.compressionMethod}`);
  if (data.length !== entry.uncompressedSize) throw new Error(`${entry.fileName}: size mismatch`);
  if (crc32(data) !== entry.crc32) throw new Error(`${entry.fileName}: CRC mismatch`);
  return data;
}

// Entries read at once: yauzl costs a few hundred microseconds of I/O round trips per entry, and
// OSV exports hold up to hundreds of thousands of small records, so reads overlap (bounded).
const ZIP_PARALLEL = 16;

/** Streams every JSON document in a zip; a bounded number are in memory at any time. */
async function* zipEntries(path: string): AsyncGenerator<{ name: string; text: string }> {
  const { yauzl, BlockReader } = await loadYauzl();
  const reader = new BlockReader(path);
  const zip = await new Promise<yauzlType.ZipFile>((resolve, reject) =>
    yauzl.fromRandomAccessReader(reader, reader.size, { lazyEntries: true, autoClose: false }, (err, z) => {
      if (!err) return resolve(z!);
      reader.close(() => undefined);
      reject(new DistillError(path, `not a readable zip: ${err.message}`, { code: 'E_INPUT' }));
    }),
  );
  const queue: ({ name: string; text: string } | Error | null)[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let asking = false;
  let inflight = 0;
  const push = (x: { name: string; text: string } | Error | null): void => {
    queue.push(x);
    wake?.();
  };
  const finishIfDone = (): void => {
    if (ended && inflight === 0) push(null);
  };
  const pump = (): void => {
    if (ended || asking || inflight >= ZIP_PARALLEL || queue.length >= ZIP_PARALLEL * 4) return;
    asking = true;
    zip.readEntry();
  };
  zip.on('entry', (entry: yauzlType.Entry) => {
    asking = false;
    if (!entry.fileName.endsWith('.json') || entry.fileName.endsWith('/')) {
      pump();
      return;
    }
    inflight++;
    // Records are small: inflate each in one call from the cached blocks (a zlib stream per
    // entry costs more than the data), checking size and CRC as yauzl's streams would.
    zip.readLocalFileHeader(entry, { minimal: true }, (err, header) => {
      inflight--;
      if (err) return push(err);
      try {
        push({ name: entry.fileName, text: readEntryData(reader, entry, header.fileDataStart).toString('utf8') });
      } catch (e) {
        push(e as Error);
      }
      pump();
      finishIfDone();
    });
    pump();
  });
  zip.on('end', () => {
    ended = true;
    finishIfDone();
  });
  zip.on('error', (e) => push(e));
  pump();
  try {
    for (;;) {
      if (queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      const item = queue.shift()!;
      if (item === null) return;
      if (item instanceof Error) throw new DistillError(path, `not a readable zip: ${item.message}`, { code: 'E_INPUT' });
      yield item;
      pump();
    }
  } finally {
    zip.close();
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

/** Every JSON document under the inputs: zips, JSON files, and directories of either. */
async function* documents(inputs: string[]): AsyncGenerator<{ name: string; text: string }> {
  for (const input of inputs) {
    let st;
    try {
      st = await stat(input);
    } catch {
      throw new DistillError(input, 'no such file or directory', { code: 'E_NOT_FOUND' });
    }
    const files: string[] = [];
    if (st.isDirectory()) for await (const f of walk(input)) files.push(f);
    else files.push(input);
    let any = false;
    for (const f of files) {
      if (f.endsWith('.zip')) {
        any = true;
        yield* zipEntries(f);
      } else if (f.endsWith('.json')) {
        any = true;
        yield { name: f, text: await readFile(f, 'utf8') };
      } else if (!st.isDirectory()) {
        throw new DistillError(input, 'expected a .zip, a .json file or a directory of them', { code: 'E_INPUT' });
      }
    }
    if (!any) throw new DistillError(input, 'no OSV records found (expected <Ecosystem>/all.zip, *.zip or *.json)', { code: 'E_INPUT' });
  }
}

interface EcoWriter {
  tmpData: string;
  stream: WriteStream;
  offset: number;
  index: Map<string, [number, number][]>;
  ids: Set<string>;
  newest: string | null;
  /** Date.parse(newest), kept so each record costs one parse, not two. */
  newestMs: number;
  /** Lines not yet handed to the stream, and their UTF-8 size. */
  pending: string[];
  pendingBytes: number;
}

// Lines are handed to the file stream in chunks of about this size: one write per record (a few
// hundred bytes) costs more in stream bookkeeping and syscalls than the record's own encoding.
const WRITE_CHUNK = 1 << 20;

function write(stream: WriteStream, chunk: string): Promise<void> {
  return stream.write(chunk) ? Promise.resolve() : new Promise((r) => stream.once('drain', () => r()));
}

async function flush(w: EcoWriter): Promise<void> {
  if (w.pending.length === 0) return;
  const chunk = w.pending.join('');
  w.pending = [];
  w.pendingBytes = 0;
  await write(w.stream, chunk);
}

// As maxDate, for a writer's running newest.
function noteModified(w: EcoWriter, modified: string | undefined): void {
  if (!modified) return;
  if (!w.newest) {
    w.newest = modified;
    w.newestMs = Date.parse(modified);
    return;
  }
  if (modified === w.newest) return;
  const ms = Date.parse(modified);
  if (ms > w.newestMs) {
    w.newest = modified;
    w.newestMs = ms;
  }
}

function maxDate(a: string | null, b: string | null | undefined): string | null {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** The DB's meta.json, or null when there is no DB in `dir`. */
export async function readMeta(dir: string): Promise<DbMeta | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as DbMeta;
  } catch {
    return null;
  }
}

/** Options of an import. */
export interface ImportOptions {
  dir?: string;
  /** Recorded as the DB's source (default: the inputs). */
  source?: string;
  /** Import only these base ecosystems (an ecosystem's `all.zip` may name others in passing). */
  only?: string[];
  /** Fetch state to record per imported ecosystem. */
  fetched?: Record<string, FetchState>;
  /** A document that is not JSON fails the import (a downloaded export must be whole). */
  strict?: boolean;
}

/** Imports OSV records from zips, JSON files or directories into the DB at `opts.dir`. */
export async function importOsv(inputs: string[], opts: ImportOptions = {}): Promise<ImportSummary> {
  if (inputs.length === 0) throw new DistillError('db import', 'name at least one zip, JSON file or directory', { code: 'E_USAGE' });
  const dir = opts.dir ?? defaultOsvDir();
  await mkdir(dir, { recursive: true });
  const gen = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const writers = new Map<string, EcoWriter>();
  const only = opts.only ? new Set(opts.only) : undefined;
  const rejected: { input: string; error: string }[] = [];
  let rejectedCount = 0;
  const reject = (input: string, error: string): void => {
    rejectedCount++;
    if (rejected.length < 20) rejected.push({ input, error });
  };
  try {
    for await (const doc of documents(inputs)) {
      let json: unknown;
      try {
        json = JSON.parse(doc.text);
      } catch (e) {
        if (opts.strict) throw new DistillError(doc.name, `corrupt record, not JSON: ${(e as Error).message}`, { code: 'E_INPUT' });
        reject(doc.name, `not JSON: ${(e as Error).message}`);
        continue;
      }
      const items = Array.isArray(json) ? json : [json];
      for (const item of items) {
        const parsed = parseOsvRecord(item);
        if (!parsed.ok) {
          reject(doc.name, parsed.error);
          continue;
        }
        const rec = parsed.record;
        const bases = new Set(rec.affected.flatMap((a) => (a.package && (!only || only.has(baseEcosystem(a.package.ecosystem))) ? [baseEcosystem(a.package.ecosystem)] : [])));
        for (const base of bases) {
          let w = writers.get(base);
          if (!w) {
            const tmpData = join(dir, `.${safeName(base)}-${gen}.ndjson.tmp`);
            w = { tmpData, stream: createWriteStream(tmpData), offset: 0, index: new Map(), ids: new Set(), newest: null, newestMs: Number.NaN, pending: [], pendingBytes: 0 };
            writers.set(base, w);
          }
          if (w.ids.has(rec.id)) continue;
          w.ids.add(rec.id);
          const c = compact(rec, base);
          const line = JSON.stringify(c) + '\n';
          const len = Buffer.byteLength(line);
          for (const name of new Set(c.affected.map((a) => packageKey(base, a.package!.name)))) {
            let list = w.index.get(name);
            if (!list) w.index.set(name, (list = []));
            list.push([w.offset, len]);
          }
          w.pending.push(line);
          w.pendingBytes += len;
          if (w.pendingBytes >= WRITE_CHUNK) await flush(w);
          w.offset += len;
          noteModified(w, rec.modified);
        }
      }
    }
    for (const w of writers.values()) {
      await flush(w);
      await new Promise<void>((r, j) => w.stream.end((e?: Error | null) => (e ? j(e) : r())));
    }
  } catch (e) {
    for (const w of writers.values()) {
      w.stream.destroy();
      await rm(w.tmpData, { force: true });
    }
    throw e;
  }
  if (writers.size === 0) {
    throw new DistillError(inputs.join(' '), rejectedCount ? `no valid OSV records (${rejectedCount} rejected, first: ${rejected[0]!.error})` : 'no OSV records with affected packages', { code: 'E_INPUT' });
  }

  const now = new Date().toISOString();
  const fresh: Record<string, EcosystemMeta> = {};
  for (const [base, w] of writers) {
    const data = `${safeName(base)}-${gen}.ndjson`;
    const index = `${safeName(base)}-${gen}.index.json`;
    await rename(w.tmpData, join(dir, data));
    await writeFileAtomic(join(dir, index), JSON.stringify(Object.fromEntries(w.index)));
    const fetched = opts.fetched?.[base];
    fresh[base] = { records: w.ids.size, packages: w.index.size, newest: w.newest, importedAt: now, data, index, ...(fetched ? { fetched } : {}) };
  }
  // Re-read meta just before replacing it, so a concurrent import of other ecosystems survives.
  const old = await readMeta(dir);
  const meta = await writeMeta(dir, old, fresh, { importedAt: now, source: opts.source ?? inputs.join(' ') });
  for (const base of Object.keys(fresh)) {
    const prev = old?.ecosystems[base];
    if (prev) {
      await rm(join(dir, prev.data), { force: true });
      await rm(join(dir, prev.index), { force: true });
    }
  }
  await removeOrphans(dir, meta);
  return {
    dir,
    dbDate: meta.dbDate,
    ecosystems: Object.fromEntries(Object.entries(fresh).map(([k, v]) => [k, { records: v.records, packages: v.packages }])),
    rejected,
    rejectedCount,
  };
}

/** Replaces meta.json (temp + rename): `old`'s ecosystems with `fresh` laid over them. */
async function writeMeta(dir: string, old: DbMeta | null, fresh: Record<string, EcosystemMeta>, at: { importedAt?: string; source?: string }): Promise<DbMeta> {
  const ecosystems = { ...(old?.ecosystems ?? {}), ...fresh };
  const meta: DbMeta = {
    schema: 1,
    dbDate: Object.values(ecosystems).reduce<string | null>((d, e) => maxDate(d, e.newest), null),
    importedAt: at.importedAt ?? old?.importedAt ?? new Date().toISOString(),
    source: at.source ?? old?.source ?? '',
    ecosystems,
  };
  await writeFileAtomic(join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

/** Records that the source was asked about these ecosystems and had nothing new (a 304 or the same hash). */
export async function markChecked(dir: string, states: Record<string, FetchState>): Promise<void> {
  const old = await readMeta(dir);
  if (!old) return;
  const fresh: Record<string, EcosystemMeta> = {};
  for (const [eco, state] of Object.entries(states)) if (old.ecosystems[eco]) fresh[eco] = { ...old.ecosystems[eco]!, fetched: state };
  if (Object.keys(fresh).length) await writeMeta(dir, old, fresh, {});
}

// Files no meta.json names, left by an interrupted or racing import; only old ones, since a
// concurrent import's files are unreferenced until it writes its meta.
async function removeOrphans(dir: string, meta: DbMeta): Promise<void> {
  const live = new Set(['meta.json', ...Object.values(meta.ecosystems).flatMap((e) => [e.data, e.index])]);
  const cutoff = Date.now() - 3_600_000;
  for (const name of await readdir(dir)) {
    if (live.has(name) || !/(\.ndjson|\.index\.json|\.tmp)$/.test(name)) continue;
    try {
      if ((await stat(join(dir, name))).mtimeMs < cutoff) await rm(join(dir, name), { force: true });
    } catch {
      // already gone
    }
  }
}

/** Reads records back from the on-disk DB. */
export interface OsvDb {
  readonly dir: string;
  readonly meta: DbMeta;
  /** Records of `name` in the base ecosystem of `ecosystem` (all releases). */
  lookup(ecosystem: string, name: string): Promise<OsvRecord[]>;
  /** Reads the records of all these packages at once, so the lookups that follow need no I/O. */
  prefetch(wanted: { ecosystem: string; name: string }[]): Promise<void>;
  close(): Promise<void>;
}

// Records closer than this in the data file are read in one span (reading the gap costs less
// than another read); a span is at most SPAN_MAX, read into one reused buffer that stays in the
// CPU's cache while its records are copied out (a fresh multi-MiB buffer costs page faults).
const SPAN_GAP = 64 << 10;
const SPAN_MAX = 1 << 20;

type Range = [number, number];

/** Ranges in file order, each once, grouped into spans to read with one call each. */
function spans(ranges: Range[]): { start: number; end: number; ranges: Range[] }[] {
  const sorted = ranges.slice().sort((a, b) => a[0] - b[0]);
  const out: { start: number; end: number; ranges: Range[] }[] = [];
  let prev = -1;
  for (const r of sorted) {
    if (r[0] === prev) continue; // a record listed under two of the wanted names
    prev = r[0];
    const last = out[out.length - 1];
    if (last && r[0] - last.end <= SPAN_GAP && r[0] + r[1] - last.start <= SPAN_MAX) {
      last.end = Math.max(last.end, r[0] + r[1]);
      last.ranges.push(r);
    } else {
      out.push({ start: r[0], end: r[0] + r[1], ranges: [r] });
    }
  }
  return out;
}

async function readFully(fh: Awaited<ReturnType<typeof open>>, buf: Buffer, position: number): Promise<void> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, position + got);
    if (bytesRead === 0) throw new DistillError('OSV DB', `data file ends before offset ${position + buf.length}; run \`distill db update --force\``, { code: 'E_INPUT' });
    got += bytesRead;
  }
}

/** Opens the DB at `dir` (default: the cache); a DistillError tells the user how to create one. */
export async function openOsvDb(dir: string = defaultOsvDir()): Promise<OsvDb> {
  const meta = await readMeta(dir);
  if (!meta) throw new DistillError(dir, `no DB: no OSV database here; ${HOW_TO_GET_A_DB}`, { code: 'E_NO_DB' });
  const indexes = new Map<string, Record<string, Range[]> | null>();
  const handles = new Map<string, Awaited<ReturnType<typeof open>>>();
  // Raw records read by prefetch, per base ecosystem and package key, in index order. They are
  // parsed by the lookup that wants them: parsed records then die young, as the matcher drops
  // all but the few that match, where holding thousands of parsed records made the GC copy them.
  const fetched = new Map<string, Map<string, { data: Buffer; at: number[] }>>();
  const index = async (base: string, eco: EcosystemMeta): Promise<Record<string, Range[]> | null | undefined> => {
    if (!indexes.has(base)) indexes.set(base, JSON.parse(await readFile(join(dir, eco.index), 'utf8')));
    return indexes.get(base);
  };
  const handle = async (base: string, eco: EcosystemMeta): Promise<Awaited<ReturnType<typeof open>>> => {
    let fh = handles.get(base);
    if (!fh) handles.set(base, (fh = await open(join(dir, eco.data), 'r')));
    return fh;
  };
  // Own keys only: a package named `constructor` must not find Object.prototype's.
  const rangesOf = (idx: Record<string, Range[]> | null | undefined, key: string): Range[] | undefined => (idx && Object.hasOwn(idx, key) ? idx[key] : undefined);
  return {
    dir,
    meta,
    async lookup(ecosystem, name) {
      const base = baseEcosystem(ecosystem);
      const eco = meta.ecosystems[base];
      if (!eco) return [];
      const key = packageKey(base, name);
      const hit = fetched.get(base)?.get(key);
      if (hit) {
        const out: OsvRecord[] = [];
        for (let i = 0; i < hit.at.length; i += 2) out.push(JSON.parse(hit.data.toString('utf8', hit.at[i]!, hit.at[i]! + hit.at[i + 1]!)) as OsvRecord);
        return out;
      }
      const ranges = rangesOf(await index(base, eco), key);
      if (!ranges?.length) return [];
      const fh = await handle(base, eco);
      const out: OsvRecord[] = [];
      for (const [off, len] of ranges) {
        const buf = Buffer.alloc(len);
        await readFully(fh, buf, off);
        out.push(JSON.parse(buf.toString('utf8')) as OsvRecord);
      }
      return out;
    },
    async prefetch(wanted) {
      const keys = new Map<string, Set<string>>();
      for (const w of wanted) {
        const base = baseEcosystem(w.ecosystem);
        if (!meta.ecosystems[base]) continue;
        let set = keys.get(base);
        if (!set) keys.set(base, (set = new Set()));
        set.add(packageKey(base, w.name));
      }
      for (const [base, names] of keys) {
        const eco = meta.ecosystems[base]!;
        const idx = await index(base, eco);
        const byName = new Map<string, Range[]>();
        for (const n of names) {
          const r = rangesOf(idx, n);
          if (r?.length) byName.set(n, r);
        }
        if (byName.size === 0) continue;
        const fh = await handle(base, eco);
        const list = spans([...byName.values()].flat());
        // The wanted records' bytes, packed into one buffer (the gaps between them are not kept),
        // read through one scratch buffer: no per-record Buffer objects for the GC to trace.
        const data = Buffer.allocUnsafe(list.reduce((n, sp) => n + sp.ranges.reduce((m, r) => m + r[1], 0), 0));
        const scratch = Buffer.allocUnsafe(list.reduce((n, sp) => Math.max(n, sp.end - sp.start), 0));
        const at = new Map<number, number>();
        let pos = 0;
        for (const span of list) {
          const view = scratch.subarray(0, span.end - span.start);
          await readFully(fh, view, span.start);
          for (const [off, len] of span.ranges) {
            view.copy(data, pos, off - span.start, off - span.start + len);
            at.set(off, pos);
            pos += len;
          }
        }
        let got = fetched.get(base);
        if (!got) fetched.set(base, (got = new Map()));
        for (const [n, ranges] of byName) got.set(n, { data, at: ranges.flatMap(([off, len]) => [at.get(off)!, len]) });
      }
    },
    async close() {
      for (const fh of handles.values()) await fh.close();
      handles.clear();
      fetched.clear();
    },
  };
}

export interface DbStatus {
  dir: string;
  present: boolean;
  dbDate: string | null;
  importedAt: string | null;
  source: string | null;
  /** Whole days between the newest record and now. */
  ageDays: number | null;
  stale: boolean;
  ecosystems: Record<string, { records: number; packages: number; newest: string | null; importedAt: string; checkedAt?: string; url?: string }>;
}

/** Date, age and per-ecosystem counts of the DB; `present: false` when none was imported. */
export async function dbStatus(dir: string = defaultOsvDir(), now: Date = new Date()): Promise<DbStatus> {
  const meta = await readMeta(dir);
  if (!meta) return { dir, present: false, dbDate: null, importedAt: null, source: null, ageDays: null, stale: true, ecosystems: {} };
  const ageDays = meta.dbDate ? Math.floor((now.getTime() - Date.parse(meta.dbDate)) / 86_400_000) : null;
  return {
    dir,
    present: true,
    dbDate: meta.dbDate,
    importedAt: meta.importedAt,
    source: meta.source,
    ageDays,
    stale: ageDays === null || ageDays > STALE_AFTER_DAYS,
    ecosystems: Object.fromEntries(
      Object.entries(meta.ecosystems)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, { records: v.records, packages: v.packages, newest: v.newest, importedAt: v.importedAt, ...(v.fetched ? { checkedAt: v.fetched.checkedAt, url: v.fetched.url } : {}) }]),
    ),
  };
}
