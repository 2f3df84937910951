/**
 * How the dynamic loader (glibc's ld.so) finds what an ELF file needs, replayed against a
 * filesystem that is not the host's: an image's merged rootfs or an app directory.
 *
 * Hand-written: no library replays ld.so's search order. The order, per needed name:
 *   a name with a slash is a path (`$ORIGIN`, `$LIB`, `$PLATFORM` expanded);
 *   DT_RPATH of the object, only when it has no DT_RUNPATH;
 *   LD_LIBRARY_PATH (from the image config's Env);
 *   DT_RUNPATH of the object;
 *   the directories of /etc/ld.so.conf and its includes (what ldconfig puts in ld.so.cache);
 *   the default directories: the multiarch ones Debian's glibc is built with
 *   (/lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu), then /lib64 and /usr/lib64 for 64-bit
 *   files, then /lib and /usr/lib.
 * As ld.so does, a candidate of another class or machine is skipped and the search goes on.
 * `$ORIGIN` is the directory of the file as the view lists it (its real path): ld.so uses the
 * path it loaded the object by, which is the same directory for the usual `libx.so.1 -> libx.so.1.2`
 * links. glibc-hwcaps subdirectories and ld.so.cache's own contents are not read: in a consistent
 * filesystem the cache lists exactly what the configured directories hold.
 */
import { posix } from 'node:path';
import type { ElfSummary } from './elf.ts';

/** What the resolver knows about one ELF file (from `ElfRecord` in ./closure.ts): the reader's summary, less what resolving never asks. */
export interface ElfObject extends Pick<ElfSummary, 'bits' | 'machine' | 'arch' | 'interpreter' | 'dynamic' | 'needed' | 'runpath' | 'rpath' | 'soname' | 'versionNeeds'> {
  /** Absolute real path in the view. */
  path: string;
  versionDefs: string[];
  /** Set when the file looked like ELF but could not be read; nothing else is then trusted. */
  unreadable?: string;
}

/** One node of a filesystem view, a symlink not followed. */
export interface ViewNode {
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** Symlink target as stored; for a hard link, the absolute path of the file it shares. */
  linkname?: string;
}

/** A read-only filesystem: nodes by absolute normal path, the ELF files in it, a few small texts. */
export interface FsView {
  node(path: string): ViewNode | undefined;
  /** The ELF file at a real (symlink-free) path, if the view holds one. */
  elf(path: string): ElfObject | undefined;
  /** The text of a small configuration file (ld.so.conf and its includes), if present. */
  text(path: string): string | undefined;
  /** Names directly inside a directory (for `include` globs). */
  list(dir: string): string[];
}

export type NeedStatus = 'resolved' | 'missing' | 'too-old';

/** Where a need was found: which step of the search order matched. */
export type FoundVia = 'path' | 'rpath' | 'ld_library_path' | 'runpath' | 'ld.so.conf' | 'default';

export interface NeedResult {
  name: string;
  status: NeedStatus;
  /** The real path of the library that satisfies (or is too old for) the need. */
  path?: string;
  via?: FoundVia;
  /** Symbol versions required from this library that it does not define. */
  missingVersions?: string[];
}

export interface InterpreterResult {
  path: string;
  status: 'resolved' | 'missing';
  resolved?: string;
}

/** The outcome for one ELF file: its loader and each DT_NEEDED entry. */
export interface ElfResolution {
  path: string;
  arch: string;
  /** static: no loader, nothing needed; static-pie: self-relocating, nothing needed; dynamic: the rest. */
  linkage: 'static' | 'static-pie' | 'dynamic';
  soname?: string;
  interpreter?: InterpreterResult;
  needs: NeedResult[];
  /** Every need resolved with its versions, and the interpreter present. */
  ok: boolean;
  unreadable?: string;
}

/** Options that come from outside the filesystem. */
export interface ResolveOptions {
  /** LD_LIBRARY_PATH as the process would see it (the image config's Env). */
  ldLibraryPath?: string;
}

/** The Debian multiarch triplet of an ELF machine and class, the directory name under /lib. */
export function multiarchTriplet(arch: string): string | undefined {
  const map: Record<string, string> = {
    amd64: 'x86_64-linux-gnu',
    arm64: 'aarch64-linux-gnu',
    '386': 'i386-linux-gnu',
    arm: 'arm-linux-gnueabihf',
    ppc64le: 'powerpc64le-linux-gnu',
    s390x: 's390x-linux-gnu',
    riscv64: 'riscv64-linux-gnu',
    mips64le: 'mips64el-linux-gnuabi64',
    loong64: 'loongarch64-linux-gnu',
  };
  return map[arch];
}

/** The directories ld.so searches last, for a file of this class and machine. */
export function defaultDirs(arch: string, bits: 32 | 64): string[] {
  const t = multiarchTriplet(arch);
  return [...(t ? [`/lib/${t}`, `/usr/lib/${t}`] : []), ...(bits === 64 ? ['/lib64', '/usr/lib64'] : []), '/lib', '/usr/lib'];
}

/** `a/./b/../c` -> `/a/c`, never above the root. */
export function normal(path: string): string {
  const out: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return '/' + out.join('/');
}

/** Follows symlinks and hard links (absolute targets from the view's root) to a real path; undefined when absent or looping. */
export function realPath(view: FsView, path: string): string | undefined {
  let parts = normal(path).split('/').filter(Boolean);
  let cur = '';
  for (let hops = 0, i = 0; i < parts.length; i++) {
    const next = `${cur}/${parts[i]}`;
    const node = view.node(next);
    if (!node) return undefined;
    if (node.type === 'symlink') {
      if (++hops > 40) return undefined;
      const target = node.linkname ?? '';
      parts = [...normal(target.startsWith('/') ? target : `${cur}/${target}`).split('/').filter(Boolean), ...parts.slice(i + 1)];
      cur = '';
      i = -1;
      continue;
    }
    if (node.type === 'hardlink' && i === parts.length - 1) return realPath(view, node.linkname ?? '');
    if (i < parts.length - 1 && node.type !== 'directory') return undefined;
    cur = next;
  }
  return cur || '/';
}

/** The directories /etc/ld.so.conf names, includes (with `*` globs) followed once each. */
export function ldSoConfDirs(view: FsView): string[] {
  const dirs: string[] = [];
  const seen = new Set<string>();
  const read = (file: string) => {
    if (seen.has(file) || seen.size > 256) return;
    seen.add(file);
    const text = view.text(file);
    if (text === undefined) return;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (!line || line.startsWith('hwcap ')) continue;
      const inc = /^include\s+(.+)$/.exec(line);
      if (!inc) {
        for (const d of line.split(/[\s:,=]+/)) if (d.startsWith('/')) dirs.push(normal(d));
        continue;
      }
      for (const pattern of inc[1]!.split(/\s+/)) {
        const abs = pattern.startsWith('/') ? pattern : posix.join(posix.dirname(file), pattern);
        for (const f of expandGlob(view, abs)) read(f);
      }
    }
  };
  read('/etc/ld.so.conf');
  return [...new Set(dirs)];
}

/** A glob whose last component may hold `*` and `?`, sorted as glob(3) returns names. */
function expandGlob(view: FsView, pattern: string): string[] {
  const dir = posix.dirname(pattern);
  const base = posix.basename(pattern);
  if (!/[*?[]/.test(base)) return [pattern];
  const re = new RegExp('^' + base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  const real = realPath(view, dir);
  if (!real) return [];
  return view.list(real).filter((n) => re.test(n)).sort().map((n) => `${dir}/${n}`);
}

/** Expands `$ORIGIN`, `$LIB` and `$PLATFORM` (and their `${…}` forms) in one search entry. */
export function expandTokens(entry: string, origin: string, obj: Pick<ElfObject, 'arch' | 'bits'>): string {
  const lib = multiarchTriplet(obj.arch) ? `lib/${multiarchTriplet(obj.arch)}` : obj.bits === 64 ? 'lib64' : 'lib';
  const platform = obj.arch === 'amd64' ? 'x86_64' : obj.arch === 'arm64' ? 'aarch64' : obj.arch;
  return entry.replace(/\$(\{ORIGIN\}|ORIGIN)/g, origin).replace(/\$(\{LIB\}|LIB)/g, lib).replace(/\$(\{PLATFORM\}|PLATFORM)/g, platform);
}

/** Resolves every ELF file's loader and needs against one view; reuse it across files. */
export class Resolver {
  private readonly confDirs: string[];
  private readonly cache = new Map<string, { path: string; obj: ElfObject } | null>();
  /** Searches by name and everything the search order reads from the object (most objects share one). */
  private readonly found = new Map<string, { path: string; obj: ElfObject; via: FoundVia } | null>();

  constructor(
    private readonly view: FsView,
    private readonly opts: ResolveOptions = {},
  ) {
    this.confDirs = ldSoConfDirs(view);
  }

  /** The ELF file a candidate path holds, when ld.so would accept it for `obj`. */
  private candidate(path: string, obj: ElfObject): { path: string; obj: ElfObject } | undefined {
    const key = `${obj.bits}:${obj.machine}:${path}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const real = realPath(this.view, path);
    const lib = real ? this.view.elf(real) : undefined;
    const ok = lib && !lib.unreadable && lib.bits === obj.bits && lib.machine === obj.machine ? { path: real!, obj: lib } : undefined;
    this.cache.set(key, ok ?? null);
    return ok;
  }

  /** Finds `name` for `obj` the way ld.so does; undefined when no directory holds it. */
  find(name: string, obj: ElfObject): { path: string; obj: ElfObject; via: FoundVia } | undefined {
    const origin = posix.dirname(obj.path);
    if (name.includes('/')) {
      const c = this.candidate(expandTokens(name, origin, obj), obj);
      return c && { ...c, via: 'path' };
    }
    const key = this.searchKey(name, obj, origin);
    const hit = this.found.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const f = this.search(name, obj, origin);
    this.found.set(key, f ?? null);
    return f;
  }

  /** What a search for `name` by `obj` depends on: `$ORIGIN` only when an entry names a token. */
  private searchKey(name: string, obj: ElfObject, origin: string): string {
    const dirs = JSON.stringify([obj.runpath.length ? [] : obj.rpath, obj.runpath]);
    const tokens = dirs.includes('$') || (this.opts.ldLibraryPath ?? '').includes('$');
    return `${name}\0${obj.bits}:${obj.machine}:${obj.arch}\0${dirs}\0${tokens ? origin : ''}`;
  }

  /** The search order replayed for `name` (see the module header). */
  private search(name: string, obj: ElfObject, origin: string): { path: string; obj: ElfObject; via: FoundVia } | undefined {
    const steps: [FoundVia, string[]][] = [
      ['rpath', obj.runpath.length ? [] : obj.rpath],
      ['ld_library_path', (this.opts.ldLibraryPath ?? '').split(/[:;]/)],
      ['runpath', obj.runpath],
      ['ld.so.conf', this.confDirs],
      ['default', defaultDirs(obj.arch, obj.bits)],
    ];
    for (const [via, dirs] of steps) {
      for (const d of dirs) {
        // An empty entry means the current directory, which a container's loader cannot rely on.
        if (!d) continue;
        const dir = expandTokens(d, origin, obj);
        if (!dir.startsWith('/')) continue;
        const c = this.candidate(`${dir}/${name}`, obj);
        if (c) return { ...c, via };
      }
    }
    return undefined;
  }

  /** The loader and every need of `obj`, each resolved, missing or too old. */
  resolve(obj: ElfObject): ElfResolution {
    const linkage = obj.interpreter !== undefined || obj.needed.length ? 'dynamic' : obj.dynamic ? 'static-pie' : 'static';
    const base = { path: obj.path, arch: obj.arch, linkage, ...(obj.soname ? { soname: obj.soname } : {}) } as const;
    if (obj.unreadable) return { ...base, needs: [], ok: false, unreadable: obj.unreadable };
    let interpreter: InterpreterResult | undefined;
    let interpObj: { path: string; obj: ElfObject } | undefined;
    if (obj.interpreter !== undefined) {
      interpObj = this.candidate(obj.interpreter, obj);
      interpreter = interpObj ? { path: obj.interpreter, status: 'resolved', resolved: interpObj.path } : { path: obj.interpreter, status: 'missing' };
    }
    const found = new Map<string, { path: string; obj: ElfObject } | undefined>();
    const needs: NeedResult[] = obj.needed.map((name) => {
      const f = this.find(name, obj);
      found.set(name, f);
      return f ? { name, status: 'resolved', path: f.path, via: f.via } : { name, status: 'missing' };
    });
    for (const vn of obj.versionNeeds) {
      let lib = found.get(vn.file);
      // The loader's own versions (GLIBC_PRIVATE of ld-linux) are checked against the interpreter.
      if (!found.has(vn.file) && interpObj && (interpObj.obj.soname === vn.file || posix.basename(obj.interpreter!) === vn.file)) lib = interpObj;
      if (!lib) continue;
      const defs = new Set(lib.obj.versionDefs);
      const lacking = vn.versions.filter((v) => !defs.has(v));
      if (!lacking.length) continue;
      const n = needs.find((x) => x.name === vn.file);
      if (n) Object.assign(n, { status: 'too-old', missingVersions: lacking });
      else needs.push({ name: vn.file, status: 'too-old', path: lib.path, missingVersions: lacking });
    }
    const ok = needs.every((n) => n.status === 'resolved') && interpreter?.status !== 'missing';
    return { ...base, ...(interpreter ? { interpreter } : {}), needs, ok };
  }

  /** The libraries `obj` loads, transitively (breadth first, each once), with the loader first. */
  closure(obj: ElfObject): string[] {
    const out = new Set<string>();
    const queue: ElfObject[] = [obj];
    if (obj.interpreter !== undefined) {
      const i = this.candidate(obj.interpreter, obj);
      if (i) out.add(i.path);
    }
    while (queue.length && out.size < 10000) {
      const cur = queue.shift()!;
      for (const name of cur.needed) {
        const f = this.find(name, cur);
        if (f && !out.has(f.path) && f.path !== obj.path) {
          out.add(f.path);
          queue.push(f.obj);
        }
      }
    }
    return [...out];
  }
}
