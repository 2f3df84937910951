/**
 * Turns a builder's layer plans into gzip layers: each source walked in byte order of names,
 * parent directories made once, every entry owned by root with 0644/0755 modes (group and others
 * never write) and mtime = SOURCE_DATE_EPOCH or 0, so the same files give the same digest.
 */
import { copyFileSync, createReadStream, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, renameSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Layer } from '../oci/image.ts';
import { LayerSink } from '../base/layer-sink.ts';
import type { Digest } from '../oci/digest.ts';
import { fileLayer } from '../oci/layer.ts';
import { tempBeside, writeFileAtomicSync } from '../util/files.ts';
import { cacheDir, hashInputs, type LayerPlan, type Source } from './common.ts';

export const APP_UID = 65532;

/** What one built layer holds, for reports. */
export interface BuiltLayer {
  name: LayerPlan['name'] | 'writable';
  holds: string;
  layer: Layer;
  files: number;
  bytes: number;
}

class Writer {
  private readonly dirs = new Set<string>();
  files = 0;
  bytes = 0;
  constructor(private readonly sink: LayerSink) {}

  async dir(path: string, owner = 0, mode = 0o755): Promise<void> {
    const name = path.replace(/^\/+/, '').replace(/\/+$/, '');
    if (!name || name === '.' || this.dirs.has(name)) return;
    await this.dir(posix.dirname(name));
    this.dirs.add(name);
    await this.sink.add({ name, type: 'directory', mode, uid: owner, gid: owner });
  }

  async source(s: Source): Promise<void> {
    await this.walk(s.src, s.dest, '', s.exclude);
  }

  private async walk(host: string, dest: string, rel: string, exclude?: (rel: string) => boolean): Promise<void> {
    const st = lstatSync(host);
    const name = dest.replace(/^\/+/, '');
    if (st.isDirectory()) {
      await this.dir(name);
      for (const n of readdirSync(host).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : a === b ? 0 : 1))) {
        const r = rel ? `${rel}/${n}` : n;
        if (exclude?.(r)) continue;
        await this.walk(join(host, n), `${name}/${n}`, r, exclude);
      }
      return;
    }
    await this.dir(posix.dirname(name));
    if (st.isSymbolicLink()) {
      await this.sink.add({ name, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: readlinkSync(host) });
    } else if (st.isFile()) {
      await this.sink.add({ name, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, uid: 0, gid: 0, size: st.size }, createReadStream(host));
      this.files++;
      this.bytes += st.size;
    }
    // Sockets, FIFOs and devices are not app content; they are left out.
  }
}

const LAYER_CACHE_VERSION = 'build-layer-v1';

/**
 * Dependency layers cached by the builder's key (lockfile hash → install dir) and mtime, so a
 * warm rebuild neither walks nor compresses node_modules again. Written via temp file + rename.
 */
function cachedLayer(key: string, mtime: Date) {
  const dir = cacheDir('layers', hashInputs([LAYER_CACHE_VERSION, key, String(mtime.getTime())]));
  const meta = join(dir, 'layer.json');
  const file = join(dir, 'layer.tar.gz');
  let hit: { layer: Layer; files: number; bytes: number } | undefined;
  if (existsSync(meta) && existsSync(file)) {
    try {
      const m = JSON.parse(readFileSync(meta, 'utf8')) as { digest: Digest; diffId: Digest; size: number; files: number; bytes: number };
      if (statSync(file).size === m.size) hit = { layer: fileLayer(file, m), files: m.files, bytes: m.bytes };
    } catch {
      /* a damaged entry is rebuilt */
    }
  }
  const store = (built: string, layer: Layer, files: number, bytes: number): Layer => {
    const tmp = tempBeside(file);
    copyFileSync(built, tmp);
    renameSync(tmp, file);
    writeFileAtomicSync(meta, JSON.stringify({ digest: layer.digest, diffId: layer.diffId, size: layer.size, files, bytes }));
    return layer;
  };
  return { hit, store };
}

/** Writes one layer per plan into `work`; `writable` dirs (owned by the runtime uid, 65532 unless the plan keeps the author's) join the app layer. */
export async function assembleLayers(plans: LayerPlan[], work: string, mtime: Date, writable: string[] = [], uid = APP_UID): Promise<BuiltLayer[]> {
  const out: BuiltLayer[] = [];
  for (const plan of plans) {
    const cached = plan.cacheKey ? cachedLayer(plan.cacheKey, mtime) : undefined;
    if (cached?.hit) {
      out.push({ name: plan.name, holds: plan.holds, ...cached.hit });
      continue;
    }
    const sink = new LayerSink(work, mtime);
    try {
      const w = new Writer(sink);
      for (const s of plan.sources) await w.source(s);
      if (plan.name === 'app') for (const d of [...writable].sort()) await w.dir(d.startsWith('/') ? d : `/app/${d}`, uid, 0o755);
      const layer = await sink.finish();
      out.push({ name: plan.name, holds: plan.holds, layer: cached ? cached.store(sink.file, layer, w.files, w.bytes) : layer, files: w.files, bytes: w.bytes });
    } catch (e) {
      await sink.abort();
      throw e;
    }
  }
  return out;
}
