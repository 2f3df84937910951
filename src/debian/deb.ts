/**
 * .deb files: an `ar` archive of `debian-binary`, `control.tar[.gz|.xz|.zst]` and
 * `data.tar[.gz|.xz|.zst]`. Reads the control member into fields, md5sums and conffiles, and
 * streams the data member as tar entries (tar-stream), never holding it in memory.
 *
 * The `ar` reader is hand-written: the npm `ar` packages read whole archives into memory or are
 * unmaintained, and the format (an 8-byte magic, then 60-byte headers with each member padded to
 * an even offset) takes less code to read as a stream than to wrap a library.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { asDistillError, DistillError } from '../util/errors.ts';
import { decompress } from '../oci/compression.ts';
import { parseControl, type ControlFields } from './control.ts';
import { xzDecompress } from './xz.ts';

/** One member of an ar archive; `body` must be consumed or abandoned before the next is read. */
export interface ArMember {
  name: string;
  size: number;
  mtime: number;
  mode: number;
  body: Readable;
}

/** Pulls exact byte counts out of a Node stream. */
class ByteSource {
  private readonly it: AsyncIterator<Buffer | string>;
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  offset = 0;

  constructor(input: Readable) {
    this.it = input[Symbol.asyncIterator]();
  }

  /** Ensures `n` bytes are buffered; false when the input ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      }
    }
    return this.buf.length >= n;
  }

  /** Exactly `n` bytes, or undefined at a clean end of input (nothing left at all). */
  async exact(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) {
      if (this.buf.length === 0) return undefined;
      throw new Error(`truncated archive: wanted ${n} bytes at offset ${this.offset}, got ${this.buf.length}`);
    }
    return this.take(n);
  }

  /** Between 1 and `max` bytes; throws at the end of input. */
  async some(max: number): Promise<Buffer> {
    if (!(await this.fill(1))) throw new Error(`truncated archive at offset ${this.offset}`);
    return this.take(Math.min(max, this.buf.length));
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }

  /** Stops reading the input. */
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/** A member's bytes, pulled from the archive on demand. */
class MemberStream extends Readable {
  private inflight: Promise<void> | undefined;
  private abandoned = false;

  constructor(
    private readonly src: ByteSource,
    private remaining: number,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _read(): void {
    this.inflight ??= this.pull().finally(() => {
      this.inflight = undefined;
    });
  }

  private async pull(): Promise<void> {
    try {
      while (!this.abandoned) {
        if (this.remaining === 0) {
          this.push(null);
          return;
        }
        const chunk = await this.src.some(Math.min(this.remaining, 256 * 1024));
        this.remaining -= chunk.length;
        if (!this.push(chunk)) return;
      }
    } catch (e) {
      this.destroy(e as Error);
    }
  }

  /** Skips what the consumer did not read, so the archive can move on to the next member. */
  async finish(): Promise<void> {
    this.abandoned = true;
    await this.inflight;
    while (this.remaining > 0) this.remaining -= (await this.src.some(Math.min(this.remaining, 1 << 20))).length;
    if (!this.readableEnded && !this.destroyed) this.destroy();
  }
}

/** Streams the members of an ar archive. */
export async function* readAr(input: Readable, source = 'archive'): AsyncGenerator<ArMember> {
  const src = new ByteSource(input);
  const fail = (msg: string) => new DistillError(source, `not a valid ar archive: ${msg}`, { code: 'E_INPUT' });
  let prev: MemberStream | undefined;
  try {
    const magic = await src.exact(8);
    if (!magic || magic.toString('latin1') !== '!<arch>\n') throw fail('bad magic');
    while (true) {
      if (prev) {
        await prev.finish();
        prev = undefined;
      }
      if (src.offset % 2 === 1) await src.exact(1);
      const h = await src.exact(60);
      if (!h) return;
      if (h[58] !== 0x60 || h[59] !== 0x0a) throw fail(`bad member header at offset ${src.offset - 60}`);
      const text = h.toString('latin1');
      const name = text.slice(0, 16).trimEnd().replace(/\/$/, '');
      const size = Number.parseInt(text.slice(48, 58).trim(), 10);
      if (!Number.isFinite(size) || size < 0) throw fail(`bad size for member ${name}`);
      prev = new MemberStream(src, size);
      yield {
        name,
        size,
        mtime: Number.parseInt(text.slice(16, 28).trim() || '0', 10),
        mode: Number.parseInt(text.slice(40, 48).trim() || '0', 8),
        body: prev,
      };
    }
  } catch (e) {
    if (e instanceof DistillError) throw e;
    throw fail(e instanceof Error ? e.message : String(e));
  } finally {
    prev?.destroy();
    await src.close();
  }
}

/** Decompresses a `*.tar[.gz|.xz|.zst]` member by its name. */
export function decompressMember(name: string, body: Readable, source: string): Readable {
  if (name.endsWith('.tar')) return body;
  if (name.endsWith('.tar.gz')) {
    const g = createGunzip();
    body.on('error', (e) => g.destroy(e));
    return body.pipe(g);
  }
  if (name.endsWith('.tar.xz')) return xzDecompress(body);
  if (name.endsWith('.tar.zst')) return decompress(body, 'zstd');
  throw new DistillError(source, `unsupported .deb member compression: ${name}`, { code: 'E_UNSUPPORTED' });
}

/** What a .deb's control member says. */
export interface DebControl {
  /** Fields of `control`. */
  control: ControlFields;
  /** Path (no leading `/` or `./`) to md5 hex, from `md5sums` (empty when the .deb has none). */
  md5sums: Map<string, string>;
  /** Absolute paths from `conffiles`. */
  conffiles: string[];
  /** Every regular file of the control member (control, md5sums, postinst, ...), by name. */
  files: Map<string, Buffer>;
}

/** One entry of the data member. `body` must be read or left alone before the next entry. */
export interface DebEntry {
  header: tar.Header;
  /** Path without `./` or leading `/`; directories keep no trailing slash. */
  path: string;
  body: Readable;
}

/** Reads the control member of the .deb at `path`. */
export async function readDebControl(path: string): Promise<DebControl> {
  for await (const m of readAr(createReadStream(path), path)) {
    if (m.name === 'debian-binary') await checkVersion(m, path);
    // await here: returning the bare promise would leave the loop, closing the archive mid-read.
    else if (m.name.startsWith('control.tar')) return await parseControlMember(m, path);
    else if (m.name.startsWith('data.tar')) break;
  }
  throw new DistillError(path, 'not a .deb: no control.tar member before data.tar', { code: 'E_INPUT' });
}

/**
 * Streams the entries of the data member of the .deb at `path` (after reading its control
 * member, which is returned through `onControl` when given).
 */
export async function* readDebData(path: string, onControl?: (c: DebControl) => void): AsyncGenerator<DebEntry> {
  let sawControl = false;
  for await (const m of readAr(createReadStream(path), path)) {
    if (m.name === 'debian-binary') await checkVersion(m, path);
    else if (m.name.startsWith('control.tar')) {
      const c = await parseControlMember(m, path);
      sawControl = true;
      onControl?.(c);
    } else if (m.name.startsWith('data.tar')) {
      if (!sawControl) throw new DistillError(path, 'not a .deb: data.tar before control.tar', { code: 'E_INPUT' });
      yield* tarEntries(decompressMember(m.name, m.body, path), path);
      return;
    }
  }
  throw new DistillError(path, 'not a .deb: no data.tar member', { code: 'E_INPUT' });
}

/** Strips `./` and leading slashes from a tar entry name; `.` becomes ''. */
export function normalizeDebPath(name: string): string {
  let p = name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
  if (p === '.') p = '';
  return p;
}

async function checkVersion(m: ArMember, path: string): Promise<void> {
  const text = (await collect(m.body, 64, path)).toString('latin1');
  if (!/^2\.\d+\n?$/.test(text)) throw new DistillError(path, `unsupported .deb format version ${JSON.stringify(text.trim())}`, { code: 'E_UNSUPPORTED' });
}

async function parseControlMember(m: ArMember, path: string): Promise<DebControl> {
  const files = new Map<string, Buffer>();
  for await (const e of tarEntries(decompressMember(m.name, m.body, path), path)) {
    if (e.header.type === 'file' && e.path !== '') files.set(e.path, await collect(e.body, 64 * 1024 * 1024, path));
  }
  const controlText = files.get('control');
  if (!controlText) throw new DistillError(path, 'control member has no control file', { code: 'E_INPUT' });
  let paragraphs;
  try {
    paragraphs = parseControl(controlText.toString('utf8'), `${path}:control`);
  } catch (e) {
    throw asDistillError(e, path);
  }
  if (paragraphs.length !== 1) throw new DistillError(path, `control file has ${paragraphs.length} paragraphs, expected 1`, { code: 'E_INPUT' });
  const md5sums = new Map<string, string>();
  for (const line of (files.get('md5sums')?.toString('utf8') ?? '').split('\n')) {
    const mm = /^([a-f0-9]{32})\s+\*?(.+)$/.exec(line.trim());
    if (mm) md5sums.set(normalizeDebPath(mm[2]!), mm[1]!);
  }
  const conffiles = (files.get('conffiles')?.toString('utf8') ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0]!)
    .filter((l) => l.startsWith('/'));
  return { control: paragraphs[0]!, md5sums, conffiles, files };
}

async function* tarEntries(input: Readable, source: string): AsyncGenerator<DebEntry> {
  const ex = tar.extract();
  input.on('error', (e) => ex.destroy(e));
  input.pipe(ex);
  try {
    for await (const entry of ex) {
      yield { header: entry.header, path: normalizeDebPath(entry.header.name), body: entry as unknown as Readable };
      entry.resume();
    }
  } catch (e) {
    if (e instanceof DistillError) throw e;
    throw new DistillError(source, `cannot read tar member: ${e instanceof Error ? e.message : String(e)}`, { code: 'E_INPUT' });
  } finally {
    ex.destroy();
  }
}

async function collect(r: Readable, max: number, source: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of r) {
    n += (c as Buffer).length;
    if (n > max) throw new DistillError(source, `member larger than ${max} bytes`, { code: 'E_REFUSED' });
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
