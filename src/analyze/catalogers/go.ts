/**
 * Go binaries: the build information the Go linker embeds in every binary (`go version -m`).
 * It starts with the 14-byte magic `\xff Go buildinf:` (16-byte aligned), then pointer size and
 * flags. Go 1.18+ writes the Go version and module info inline as varint-prefixed strings
 * (flag bit 2); older binaries store two pointers to Go string headers, resolved here through the
 * ELF program headers (src/elf). Hand-written because the only reader is Go's own debug/buildinfo and the
 * layout is ~40 bytes of header.
 *
 * In a walk, binaries are streamed, not buffered: the scanner looks for the magic chunk by chunk
 * and keeps only the bytes after it (inline format). Only the pointer format needs random access,
 * so a file is retained in memory (up to 256 MiB) only while it may be an old Go binary: an ELF
 * file whose notes (in its first 64 KiB) include Go's build-id note.
 */
import { bufferSource, ELF_MAGIC, isElf, openElf, type Elf } from '../../elf/index.ts';
import { purl, type CatalogContext, type Cataloger, type Package, type StreamScanner } from '../package.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/** A module line of the build info (`mod`, `dep`, or the `=>` replacement after one). */
export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  goVersion: string;
  /** The `path` line: the main package's import path. */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  settings: Record<string, string>;
}

function readUvarint(b: Buffer, off: number): [number, number] {
  let x = 0;
  let s = 0;
  for (let i = 0; i < 10; i++) {
    if (off + i >= b.length) throw new Error('truncated varint');
    const c = b[off + i]!;
    if (c < 0x80) return [x + c * 2 ** s, off + i + 1];
    x += (c & 0x7f) * 2 ** s;
    s += 7;
  }
  throw new Error('varint overflow');
}

/** Reads the Go string (data pointer, length) whose header is at virtual address `addr`. */
function readGoString(b: Buffer, elf: Elf, addr: bigint, ptrSize: number, le: boolean): string {
  const off = (a: bigint): number => {
    const o = elf.fileOffset(Number(a));
    if (o === undefined) throw new Error(`address 0x${a.toString(16)} not in a loaded segment`);
    return o;
  };
  const ptr = (o: number): bigint => {
    if (o + ptrSize > b.length) throw new Error('Go string header out of range');
    return ptrSize === 8 ? (le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : BigInt(le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  };
  const h = off(addr);
  const data = ptr(h);
  const len = Number(ptr(h + ptrSize));
  if (len === 0) return '';
  const d = off(data);
  if (len > 1 << 24 || d + len > b.length) throw new Error('Go string out of range');
  return b.toString('utf8', d, d + len);
}

/** Strips the 16-byte sentinels the linker puts around the module info. */
function stripSentinels(mod: string): string {
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') return mod.slice(16, -16);
  return mod;
}

/** Parses the text of the module info (`path`, `mod`, `dep`, `=>`, `build` lines). */
export function parseModInfo(goVersion: string, text: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [], settings: {} };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    const mod = (): GoModule => ({ path: f[1] ?? '', version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) });
    switch (f[0]) {
      case 'path':
        info.path = f[1];
        break;
      case 'mod':
        info.main = last = mod();
        break;
      case 'dep':
        last = mod();
        info.deps.push(last);
        break;
      case '=>':
        if (last) last.replace = mod();
        break;
      case 'build': {
        const kv = f.slice(1).join('\t');
        const eq = kv.indexOf('=');
        if (eq > 0) info.settings[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
    }
  }
  return info;
}

/**
 * Inline (Go 1.18+) build info from bytes starting at the magic: undefined when more bytes are
 * needed, null when the blob is the pointer format.
 */
function readInline(b: Buffer): GoBuildInfo | undefined | null {
  if (b.length < 32) return undefined;
  if (!(b[15]! & 2)) return null;
  const str = (off: number): [string, number] | undefined => {
    let n: number;
    let o: number;
    try {
      [n, o] = readUvarint(b, off);
    } catch {
      return undefined;
    }
    if (n > 1 << 24) throw new Error('Go build info string too long');
    return o + n <= b.length ? [b.toString('utf8', o, o + n), o + n] : undefined;
  };
  const v = str(32);
  if (!v) return undefined;
  const m = str(v[1]);
  if (!m) return undefined;
  if (!v[0].startsWith('go') && !v[0].startsWith('devel')) throw new Error(`unexpected Go version string ${JSON.stringify(v[0].slice(0, 40))}`);
  return parseModInfo(v[0], stripSentinels(m[0]));
}

/** Whether an ELF file's notes (those inside `head`) include Go's build-id note. */
function hasGoNote(head: Buffer): boolean {
  try {
    return openElf(bufferSource(head))?.notes().some((n) => n.name === 'Go') ?? false;
  } catch {
    return false;
  }
}

const HEAD = 64 * 1024;
const RETAIN_MAX = 256 * 1024 * 1024;
const CAPTURE_MAX = 16 * 1024 * 1024;

/** Streams a file looking for Go build info; see the module comment for what is kept. */
export class GoScanner implements StreamScanner {
  private offset = 0;
  private head: Buffer[] = [];
  private headLen = 0;
  private retained: Buffer[] | undefined = [];
  private retainedLen = 0;
  private tail = Buffer.alloc(0);
  private capture: Buffer | undefined;
  private info: GoBuildInfo | undefined;
  private pointerFormat = false;

  constructor(
    private readonly path: string,
    private readonly ctx: Pick<CatalogContext, 'warn'>,
  ) {}

  write(c: Buffer): boolean {
    if (this.retained) {
      this.retained.push(c);
      this.retainedLen += c.length;
      if (this.retainedLen > RETAIN_MAX) this.retained = undefined;
    }
    if (this.headLen < HEAD) {
      this.head.push(c);
      this.headLen += c.length;
      if (this.headLen >= HEAD && !this.checkHead()) return false;
    }
    const r = this.capture ? this.extend(c) : this.search(c);
    this.offset += c.length;
    return r;
  }

  /** False when the file is not ELF; drops retention when it has no Go note. */
  private checkHead(): boolean {
    const head = Buffer.concat(this.head);
    this.head = [head];
    if (!isElf(head)) return false;
    if (!this.pointerFormat && !hasGoNote(head)) this.retained = undefined;
    return true;
  }

  private search(c: Buffer): boolean {
    const win = this.tail.length ? Buffer.concat([this.tail, c]) : c;
    const winStart = this.offset - this.tail.length;
    for (let i = win.indexOf(MAGIC); i >= 0; i = win.indexOf(MAGIC, i + 1)) {
      if ((winStart + i) % 16 !== 0) continue;
      this.capture = Buffer.from(win.subarray(i));
      return this.tryParse();
    }
    this.tail = Buffer.from(win.subarray(Math.max(0, win.length - (MAGIC.length - 1))));
    return true;
  }

  private extend(c: Buffer): boolean {
    if (this.pointerFormat) return this.retained !== undefined;
    this.capture = Buffer.concat([this.capture!, c]);
    if (this.capture.length > CAPTURE_MAX) throw new Error('Go build info larger than 16 MiB');
    return this.tryParse();
  }

  private tryParse(): boolean {
    const r = readInline(this.capture!);
    if (r === undefined) return true;
    if (r === null) {
      this.pointerFormat = true;
      this.capture = undefined;
      return this.retained !== undefined;
    }
    this.info = r;
    this.retained = undefined;
    this.capture = undefined;
    return false;
  }

  end(): Package[] {
    if (this.info) return goPackages(this.info, this.path);
    if (this.pointerFormat) {
      if (!this.retained) {
        this.ctx.warn(`${this.path}: Go build info in the pre-1.18 format, in a binary too large (or without Go's build-id note) to hold in memory; not read`);
        return [];
      }
      const info = readGoBuildInfo(Buffer.concat(this.retained));
      this.retained = undefined;
      return info ? goPackages(info, this.path) : [];
    }
    if (this.capture) this.ctx.warn(`${this.path}: truncated Go build info`);
    return [];
  }
}

/** Build info of a Go binary, or undefined when the bytes hold none. Throws on a corrupt blob. */
export function readGoBuildInfo(b: Buffer): GoBuildInfo | undefined {
  let at = -1;
  for (let i = b.indexOf(MAGIC); i >= 0; i = b.indexOf(MAGIC, i + 1)) {
    if (i % 16 === 0 || at < 0) at = i;
    if (i % 16 === 0) break;
  }
  if (at < 0 || at + 32 > b.length) return undefined;
  const ptrSize = b[at + 14]!;
  const flags = b[at + 15]!;
  let version: string;
  let mod: string;
  if (flags & 2) {
    let [n, o] = readUvarint(b, at + 32);
    version = b.toString('utf8', o, o + n);
    o += n;
    [n, o] = readUvarint(b, o);
    mod = b.toString('utf8', o, o + n);
  } else {
    if (ptrSize !== 4 && ptrSize !== 8) throw new Error(`bad pointer size ${ptrSize}`);
    const elf = openElf(bufferSource(b));
    if (!elf) throw new Error('pre-1.18 Go build info is only read from ELF binaries');
    const le = !(flags & 1);
    const ptr = (o: number): bigint =>
      ptrSize === 8 ? (le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : BigInt(le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    version = readGoString(b, elf, ptr(at + 16), ptrSize, le);
    mod = readGoString(b, elf, ptr(at + 16 + ptrSize), ptrSize, le);
  }
  if (!version.startsWith('go') && !version.startsWith('devel')) throw new Error(`unexpected Go version string ${JSON.stringify(version.slice(0, 40))}`);
  return parseModInfo(version, stripSentinels(mod));
}

/** A build setting's value as recorded: Go quotes values with spaces or quotes (strconv.Quote). */
function unquoteSetting(v: string): string {
  if (!v.startsWith('"')) return v;
  try {
    return JSON.parse(v) as string;
  } catch {
    return v.slice(1, -1);
  }
}

/** A semantic version as Go's x/mod/semver accepts it, the `v` optional (`1.0.0`, `v1.2`). */
function isSemver(v: string): boolean {
  return /^v?(0|[1-9]\d*)(\.(0|[1-9]\d*)(\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?)?$/.test(v);
}

/** The `-X importpath.name=value` assignments of an `-ldflags` value (`-X a=b`, `-X=a=b`, `--X a=b`). */
function ldflagsAssignments(ldflags: string): [string, string][] {
  const words = ldflags.trim().split(/\s+/).filter(Boolean);
  const out: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    const m = /^--?X(?:=(.*))?$/.exec(words[i]!);
    if (!m) continue;
    const arg = (m[1] ?? words[++i] ?? '').replace(/^['"]|['"]$/g, '');
    const eq = arg.indexOf('=');
    if (eq > 0) out.push([arg.slice(0, eq), arg.slice(eq + 1)]);
  }
  return out;
}

/**
 * The main module's version set by the linker, as Trivy reads it: among `-X` assignments to a
 * variable named `…version` or `…ver` whose value is a semantic version, those under
 * `<module>/cmd/` win, then those in a package named main, common, version or cmd, then any
 * other; the first group with exactly one value gives the version, two or more give none.
 */
export function ldflagsVersion(module: string, ldflags: string): string | undefined {
  const groups: string[][] = [[], [], []];
  for (const [key, value] of ldflagsAssignments(ldflags)) {
    const k = key.toLowerCase();
    if (!(k.endsWith('.version') || k.endsWith('.ver')) || !isSemver(value)) continue;
    const pkg = key.slice(key.lastIndexOf('/') + 1).split('.')[0]!.toLowerCase();
    const g = key.startsWith(`${module}/cmd/`) ? 0 : ['main', 'common', 'version', 'cmd'].includes(pkg) ? 1 : 2;
    if (!groups[g]!.includes(value)) groups[g]!.push(value);
  }
  for (const g of groups) if (g.length) return g.length === 1 ? g[0] : undefined;
  return undefined;
}

/** Packages for a Go binary: the stdlib (Go version), the main module and every dependency. */
export function goPackages(info: GoBuildInfo, path: string): Package[] {
  const out: Package[] = [];
  const add = (name: string, version: string, metadata: Record<string, unknown>): void => {
    const slash = name.lastIndexOf('/');
    out.push({
      name,
      version,
      type: 'golang',
      purl: purl('golang', slash > 0 ? name.slice(0, slash) : undefined, slash > 0 ? name.slice(slash + 1) : name, version === '(devel)' ? undefined : version),
      locations: [path],
      cataloger: 'go',
      metadata,
    });
  };
  const goVersion = info.goVersion.replace(/^go/, '').split(' ')[0]!;
  add('stdlib', goVersion, { goVersion: info.goVersion, role: 'stdlib' });
  if (info.main?.path) {
    // `go build` stamps `(devel)`; a version the build set with `-ldflags -X` is the real one.
    const stamped = info.main.version && info.main.version !== '(devel)' ? info.main.version : undefined;
    const ldflags = info.settings['-ldflags'];
    const linked = !stamped && ldflags ? ldflagsVersion(info.main.path, unquoteSetting(ldflags)) : undefined;
    add(info.main.path, stamped ?? linked ?? '(devel)', { goVersion: info.goVersion, role: 'main', ...(info.path ? { mainPackage: info.path } : {}), ...(linked ? { versionFrom: 'ldflags' } : {}) });
  }
  for (const d of info.deps) {
    const r = d.replace;
    if (r && r.version && r.version !== '(devel)') add(r.path, r.version, { goVersion: info.goVersion, role: 'dep', replaces: `${d.path}@${d.version}` });
    // A local directory replacement (`=> ./dir`) has no version: the code built is not d.version.
    else if (r) add(d.path, '(devel)', { goVersion: info.goVersion, role: 'dep', replacedBy: r.path, requiredVersion: d.version });
    else add(d.path, d.version, { goVersion: info.goVersion, role: 'dep', ...(d.sum ? { h1: d.sum } : {}) });
  }
  return out;
}

export const goCataloger: Cataloger = {
  name: 'go',
  maxSize: RETAIN_MAX,
  magic: ELF_MAGIC,
  wants: (_path, info) => (info.mode & 0o111) !== 0 && info.size > 1024,
  scan: (path, _info, ctx) => new GoScanner(path, ctx),
  parse(path, content, ctx: CatalogContext) {
    try {
      const info = readGoBuildInfo(content);
      return info ? goPackages(info, path) : [];
    } catch (e) {
      ctx.warn(`${path}: unreadable Go build info (${(e as Error).message})`);
      return [];
    }
  },
};
