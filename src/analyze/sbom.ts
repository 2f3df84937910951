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
import type { Image } from '../oci/image.ts';
import { walkImage, type FsEntry } from '../layers/filesystem.ts';
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
  private readonly companions = new Map<string, { layer: number; content: Buffer }>();

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
    return OS_FILES.has(path) || this.isCompanion(path) || this.wanting(path, info).length > 0;
  }

  private isCompanion(path: string): boolean {
    return this.catalogers.some((c) => c.companion?.(path));
  }

  /**
   * Feeds a wanted file's content; `layer` orders results (a directory is one layer, 0). Content
   * goes to streaming scanners chunk by chunk and is buffered (up to the largest `maxSize`) only
   * for catalogers that parse whole files; the stream is always drained.
   */
  async add(path: string, layer: number, info: FileInfo, body: Readable): Promise<void> {
    const ws = this.wanting(path, info);
    const isCompanion = this.isCompanion(path);
    const isOs = OS_FILES.has(path) || isCompanion;
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
    if (isOs && buf) (isCompanion ? this.companions : this.osFiles).set(path, { layer, content });
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
    for (const c of this.catalogers) {
      if (!c.complete) continue;
      const files = new Map<string, Buffer>();
      for (const [p, f] of this.companions) if (c.companion?.(p) && isFinal(p, f.layer)) files.set(p, f.content);
      const mine = packages.filter((p) => p.cataloger === c.name);
      const done = c.complete(mine, files);
      packages.splice(0, packages.length, ...packages.filter((p) => p.cataloger !== c.name), ...done);
    }
    const listed = withoutInstalled(packages);
    packages.splice(0, packages.length, ...listed);
    packages.sort(comparePackages);
    return { source, ...(distro ? { distro } : {}), packages, warnings: [...new Set(warnings)].sort() };
  }
}

/** Identity of a package across catalogers: type, name (PEP 503 for Python) and version. */
function identity(p: Package): string {
  const name = p.type === 'pypi' ? p.name.toLowerCase().replace(/[-_.]+/g, '-') : p.name;
  return `${p.type}\u0000${name}\u0000${p.version}`;
}

/**
 * Packages a lockfile declares are listed only when not found installed (same type, name and
 * version), once per lockfile: an app with its node_modules in the image lists those.
 */
function withoutInstalled(packages: Package[]): Package[] {
  const installed = new Set(packages.filter((p) => !p.declared).map(identity));
  const seen = new Set<string>();
  return packages.filter((p) => {
    if (!p.declared) return true;
    const key = `${identity(p)}\u0000${p.locations[0]}`;
    if (installed.has(identity(p)) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** SBOM of a host directory holding a root filesystem (symlinks are not followed). */
export async function sbomFromDirectory(dir: string, catalogers: readonly Cataloger[] = CATALOGERS): Promise<Sbom> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new DistillError(dir, 'not a directory', { code: st ? 'E_INPUT' : 'E_NOT_FOUND' });
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

/**
 * SBOM of an image: one streaming pass over its layers (the layers module's `walkImage`), with
 * packages kept only where their file's final entry comes from the layer they were read from.
 */
export async function sbomFromImage(image: Image, name: string, catalogers: readonly Cataloger[] = CATALOGERS): Promise<Sbom> {
  const col = new SbomCollector(catalogers);
  const info = (e: FsEntry): FileInfo => ({ size: e.size, mode: e.mode & 0o7777 });
  // The merged view's paths are relative (`etc/os-release`); catalogers see absolute ones.
  const merged = await walkImage(image, {
    wantContent: (path, e) => col.wants(`/${path}`, info(e)),
    onContent: (path, layerIndex, body, e) => col.add(`/${path}`, layerIndex, info(e), body),
  });
  return col.finish({ type: 'image', name, digest: await image.digest() }, (p, l) => merged.entries.get(p.slice(1))?.layerIndex === l);
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
      ...(p.declared ? { declared: p.declared } : {}),
      ...(p.dev ? { dev: true } : {}),
      ...(p.metadata ? { metadata: p.metadata } : {}),
    })),
    warnings: sbom.warnings,
  };
}
