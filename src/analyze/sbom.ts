/**
 * Software bill of materials: runs every cataloger over the FINAL filesystem of an image (or a
 * host directory) in one streaming pass. Files a cataloger wants are read one at a time (bounded by
 * the cataloger's `maxSize`); results are kept per (path, layer) and, at the end, only those whose
 * path's final entry comes from that layer survive, so files deleted or replaced by later layers
 * do not contribute. OS package databases are parsed last, once the distro (os-release) is known.
 */
import { createReadStream } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Image } from '../oci/image.ts';
import { DistillError } from '../util/errors.ts';
import { CATALOGERS } from './catalogers/index.ts';
import { detectDistro, OS_RELEASE_PATHS } from './osrelease.ts';
import { comparePackages, type Cataloger, type Distro, type FileInfo, type Package } from './package.ts';

/** Where an SBOM's packages were found. */
export interface SbomSource {
  type: 'image' | 'directory';
  /** The reference or directory the user named. */
  name: string;
  /** Image manifest digest. */
  digest?: string;
}

export interface Sbom {
  source: SbomSource;
  distro?: Distro;
  packages: Package[];
  /** Things the SBOM could not cover (unreadable or unsupported databases, oversized files). */
  warnings: string[];
}

const DEFAULT_MAX = 64 * 1024 * 1024;
const OS_FILES = new Set<string>(OS_RELEASE_PATHS);

interface Found {
  path: string;
  layer: number;
  packages: Package[];
  warnings: string[];
}

interface Deferred {
  layer: number;
  content: Buffer;
  catalogers: Cataloger[];
}

/**
 * Collects catalogers' results over a walk. Call `wants` for each file, `add` with the content of
 * wanted ones (in layer order), then `finish` with the final-filesystem test.
 */
export class SbomCollector {
  private readonly found: Found[] = [];
  private readonly deferred = new Map<string, Deferred>();
  private readonly osFiles = new Map<string, { layer: number; content: Buffer }>();

  constructor(private readonly catalogers: readonly Cataloger[] = CATALOGERS) {}

  private wanting(path: string, info: FileInfo): { c: Cataloger; how: true | 'path' }[] {
    const out: { c: Cataloger; how: true | 'path' }[] = [];
    for (const c of this.catalogers) {
      const how = c.wants(path, info);
      if (how) out.push({ c, how });
    }
    return out;
  }

  /** Whether a regular file's content is needed. `path` is absolute (`/etc/os-release`). */
  wants(path: string, info: FileInfo): boolean {
    return OS_FILES.has(path) || this.wanting(path, info).length > 0;
  }

  /**
   * Feeds a wanted file's content; `layer` orders results (a directory is one layer, 0). Content
   * goes to streaming scanners chunk by chunk and is buffered (up to the largest `maxSize`) only
   * for catalogers that parse whole files; the stream is always drained.
   */
  async add(path: string, layer: number, info: FileInfo, body: Readable): Promise<void> {
    const ws = this.wanting(path, info);
    const isOs = OS_FILES.has(path);
    const warnings: string[] = [];
    const fileCtx = { warn: (m: string) => warnings.push(m) };
    let scanners = ws.filter((w) => w.how === true && w.c.scan).map((w) => ({ c: w.c, s: w.c.scan!(path, info, fileCtx) }));
    let buffered = ws.filter((w) => w.how === true && !w.c.scan).map((w) => w.c);
    const tooLarge = buffered.filter((c) => info.size > (c.maxSize ?? DEFAULT_MAX));
    if (tooLarge.length) {
      warnings.push(`${path}: ${info.size} bytes, larger than the limit of the ${tooLarge.map((c) => c.name).join(', ')} cataloger(s); not read`);
      buffered = buffered.filter((c) => !tooLarge.includes(c));
    }
    const limit = isOs ? 1024 * 1024 : Math.max(0, ...buffered.map((c) => c.maxSize ?? DEFAULT_MAX));
    let buf: Buffer | undefined = (isOs || buffered.length) && info.size <= limit ? Buffer.allocUnsafe(info.size) : undefined;
    const done: typeof scanners = [];
    let at = 0;
    let first = true;
    for await (const c of body as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        const ok = (x: Cataloger) => !x.magic || c.subarray(0, x.magic.length).equals(x.magic);
        scanners = scanners.filter((x) => ok(x.c));
        buffered = buffered.filter(ok);
        if (!isOs && !buffered.length) buf = undefined;
      }
      if (scanners.length) {
        const still: typeof scanners = [];
        for (const x of scanners) {
          try {
            (x.s.write(c) ? still : done).push(x);
          } catch (e) {
            warnings.push(`${path}: ${x.c.name} cataloger failed: ${(e as Error).message}`);
          }
        }
        scanners = still;
      }
      if (buf) {
        if (at + c.length > buf.length) {
          // The file grew while we read it (a live host directory): keep what was announced.
          c.copy(buf, at, 0, buf.length - at);
          at = buf.length;
        } else {
          c.copy(buf, at);
          at += c.length;
        }
      }
    }
    if (first) {
      // An empty file carries no magic: catalogers that require one do not apply.
      scanners = scanners.filter((x) => !x.c.magic);
      buffered = buffered.filter((x) => !x.magic);
    }
    for (const x of [...done, ...scanners]) {
      try {
        this.found.push({ path, layer, packages: await x.s.end(), warnings: [] });
      } catch (e) {
        warnings.push(`${path}: ${x.c.name} cataloger failed: ${(e as Error).message}`);
      }
    }
    if (warnings.length) this.found.push({ path, layer, packages: [], warnings: [...warnings] });
    const content = buf ? buf.subarray(0, at) : Buffer.alloc(0);
    if (isOs && buf) this.osFiles.set(path, { layer, content });
    for (const c of buffered) if (buf) await this.run(c, path, layer, content);
    for (const w of ws) if (w.how === 'path') await this.run(w.c, path, layer, Buffer.alloc(0));
  }

  private async run(c: Cataloger, path: string, layer: number, content: Buffer): Promise<void> {
    if (c.needsDistro) {
      const d = this.deferred.get(path);
      if (d && d.layer === layer) d.catalogers.push(c);
      else this.deferred.set(path, { layer, content, catalogers: [c] });
      return;
    }
    await this.parse(c, path, layer, content, undefined);
  }

  private async parse(c: Cataloger, path: string, layer: number, content: Buffer, distro: Distro | undefined): Promise<void> {
    const warnings: string[] = [];
    let packages: Package[] = [];
    try {
      packages = await c.parse(path, content, { distro, warn: (m) => warnings.push(m) });
    } catch (e) {
      warnings.push(`${path}: ${c.name} cataloger failed: ${(e as Error).message}`);
    }
    this.found.push({ path, layer, packages, warnings });
  }

  /** The SBOM of the files whose final entry `isFinal` confirms. */
  async finish(source: SbomSource, isFinal: (path: string, layer: number) => boolean): Promise<Sbom> {
    const os = new Map<string, Buffer>();
    for (const [p, f] of this.osFiles) if (isFinal(p, f.layer)) os.set(p, f.content);
    const distro = detectDistro(os);
    for (const [p, d] of this.deferred) {
      if (!isFinal(p, d.layer)) continue;
      for (const c of d.catalogers) await this.parse(c, p, d.layer, d.content, distro);
    }
    this.deferred.clear();
    const packages: Package[] = [];
    const warnings: string[] = [];
    for (const f of this.found) {
      if (!isFinal(f.path, f.layer)) continue;
      packages.push(...f.packages);
      warnings.push(...f.warnings);
    }
    packages.sort(comparePackages);
    return { source, ...(distro ? { distro } : {}), packages, warnings: [...new Set(warnings)].sort() };
  }
}

/** SBOM of a host directory holding a root filesystem (symlinks are not followed). */
export async function sbomFromDirectory(dir: string, catalogers: readonly Cataloger[] = CATALOGERS): Promise<Sbom> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new DistillError(dir, 'not a directory');
  const col = new SbomCollector(catalogers);
  const walk = async (abs: string, rel: string): Promise<void> => {
    const d = await opendir(abs);
    const names: { name: string; dir: boolean; file: boolean }[] = [];
    for await (const e of d) names.push({ name: e.name, dir: e.isDirectory(), file: e.isFile() });
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of names) {
      const a = join(abs, e.name);
      const r = `${rel}/${e.name}`;
      if (e.dir) await walk(a, r);
      else if (e.file) {
        const s = await lstat(a);
        const info = { size: s.size, mode: s.mode & 0o7777 };
        if (col.wants(r, info)) await col.add(r, 0, info, createReadStream(a));
      }
    }
  };
  await walk(dir, '');
  return col.finish({ type: 'directory', name: dir }, () => true);
}

/** Normalizes a tar member name to an absolute path (`./usr/bin/` -> `/usr/bin`). */
function absPath(name: string): string {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

/**
 * The merged view of an image's layers: path -> layer index of its final entry, with OCI
 * whiteouts (`.wh.NAME`, `.wh..wh..opq`) applied. Interim walker, to be replaced by the layers
 * module's walkImage once it lands.
 */
class MergedView {
  readonly entries = new Map<string, number>();
  private readonly dirs = new Set<string>();

  private removeBelow(prefix: string, before: number): void {
    const pre = prefix === '/' ? '/' : prefix + '/';
    for (const [p, l] of this.entries) {
      if (l < before && p.startsWith(pre)) {
        this.entries.delete(p);
        this.dirs.delete(p);
      }
    }
  }

  /** Records a tar member of layer `layer`; returns its absolute path, or undefined for whiteouts. */
  add(name: string, type: string, layer: number): string | undefined {
    const path = absPath(name);
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash) || '/';
    const base = path.slice(slash + 1);
    if (base === '.wh..wh..opq') {
      this.removeBelow(dir, layer);
      return undefined;
    }
    if (base.startsWith('.wh.')) {
      const target = (dir === '/' ? '' : dir) + '/' + base.slice(4);
      const l = this.entries.get(target);
      if (l !== undefined && l < layer) this.entries.delete(target);
      // Tars may omit directory entries, so the target may be a directory we only know by its
      // children: always clear below it.
      this.dirs.delete(target);
      this.removeBelow(target, layer);
      return undefined;
    }
    // A non-directory replacing a lower layer's directory hides everything below it.
    if (type !== 'directory' && this.dirs.has(path)) this.removeBelow(path, layer);
    if (type === 'directory') this.dirs.add(path);
    else this.dirs.delete(path);
    // Parents are directories even when the tar has no entry for them.
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const parent = path.slice(0, i);
      if (this.dirs.has(parent)) break;
      this.dirs.add(parent);
    }
    this.entries.set(path, layer);
    return path;
  }
}

/** SBOM of an image: one streaming pass over its layers, packages from the final filesystem. */
export async function sbomFromImage(image: Image, name: string, catalogers: readonly Cataloger[] = CATALOGERS): Promise<Sbom> {
  const col = new SbomCollector(catalogers);
  const view = new MergedView();
  const layers = await image.layers();
  for (const [i, layer] of layers.entries()) {
    const ex = tar.extract();
    const done = new Promise<void>((resolve, reject) => {
      ex.on('entry', (h, stream, next) => {
        const path = view.add(h.name, h.type ?? 'file', i);
        const info = { size: h.size ?? 0, mode: (h.mode ?? 0) & 0o7777 };
        if (path && (h.type === 'file' || h.type === 'contiguous-file') && col.wants(path, info)) {
          col.add(path, i, info, stream as unknown as Readable).then(() => next(), (e: unknown) => next(e as Error));
        } else {
          stream.on('end', () => next());
          stream.resume();
        }
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
    });
    const src = await layer.uncompressed();
    src.on('error', (e) => ex.destroy(e));
    src.pipe(ex);
    await done;
  }
  return col.finish({ type: 'image', name, digest: await image.digest() }, (p, l) => view.entries.get(p) === l);
}

/**
 * SBOM of what a reference names: `dir:PATH` (a root filesystem on this host) or any image
 * reference `openImage` understands (oci:, oci-archive:, docker-archive:, podman:, docker:).
 */
export async function sbomFor(ref: string, opts: { platform?: string } = {}): Promise<Sbom> {
  if (ref.startsWith('dir:')) return sbomFromDirectory(ref.slice(4));
  const { openImage } = await import('../oci/reference.ts');
  const image = await openImage(ref, opts);
  return sbomFromImage(image, ref);
}

/** The stable `--json` form of an SBOM (schemaVersion 1). */
export function sbomJson(sbom: Sbom): Record<string, unknown> {
  return {
    schemaVersion: 1,
    source: sbom.source,
    distro: sbom.distro ?? null,
    packages: sbom.packages.map((p) => ({
      name: p.name,
      version: p.version,
      type: p.type,
      purl: p.purl,
      licenses: p.licenses ?? [],
      arch: p.arch ?? null,
      sourceName: p.sourceName ?? null,
      sourceVersion: p.sourceVersion ?? null,
      locations: p.locations,
      cataloger: p.cataloger,
      ...(p.metadata ? { metadata: p.metadata } : {}),
    })),
    warnings: sbom.warnings,
  };
}
