/**
 * The final filesystem of an image (metadata only) for verify's file checks, read by streaming
 * each layer once with OCI whiteouts applied, and path lookup that follows symlinks inside the
 * image root. Kept here, small, until a shared merged view lands in src/layers.
 */
import * as tar from 'tar-stream';
import type { Image } from '../oci/image.ts';

export interface FsNode {
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname?: string;
}

/** `./usr//bin/` -> `/usr/bin`; `..` never climbs above the root. */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return '/' + out.join('/');
}

const TYPES: Record<string, FsNode['type']> = { file: 'file', 'contiguous-file': 'file', directory: 'directory', symlink: 'symlink', link: 'link' };

/** Reads the merged filesystem of `image`: absolute path -> node. */
export async function mergedFs(image: Image): Promise<Map<string, FsNode>> {
  const files = new Map<string, FsNode>();
  const dropUnder = (dir: string) => {
    const pre = dir === '/' ? '/' : dir + '/';
    for (const p of [...files.keys()]) if (p.startsWith(pre)) files.delete(p);
  };
  for (const layer of await image.layers()) {
    // Whiteouts only hide what lower layers had, so they are applied after the layer is read.
    const opaque: string[] = [];
    const removed: string[] = [];
    const added = new Map<string, FsNode>();
    const ex = tar.extract();
    const done = new Promise<void>((resolve, reject) => {
      ex.on('entry', (h, stream, next) => {
        stream.on('end', next);
        stream.resume();
        const path = cleanPath(h.name);
        const slash = path.lastIndexOf('/');
        const dir = path.slice(0, slash) || '/';
        const base = path.slice(slash + 1);
        if (base === '.wh..wh..opq') opaque.push(dir);
        else if (base.startsWith('.wh.')) removed.push(cleanPath(`${dir}/${base.slice(4)}`));
        else if (path !== '/') {
          added.set(path, {
            type: TYPES[h.type ?? 'file'] ?? 'other',
            mode: (h.mode ?? 0) & 0o7777,
            uid: h.uid ?? 0,
            gid: h.gid ?? 0,
            size: h.size ?? 0,
            ...(h.linkname ? { linkname: h.linkname } : {}),
          });
        }
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
    });
    const s = await layer.uncompressed();
    s.on('error', (e) => ex.destroy(e));
    s.pipe(ex);
    await done;
    for (const d of opaque) dropUnder(d);
    for (const r of removed) {
      files.delete(r);
      dropUnder(r);
    }
    for (const [p, n] of added) {
      const prev = files.get(p);
      if (prev?.type === 'directory' && n.type !== 'directory') dropUnder(p);
      files.set(p, n);
    }
  }
  return files;
}

/** Looks `path` up following symlinks (absolute ones relative to the image root); undefined when absent. */
export function lookup(files: Map<string, FsNode>, path: string, follow = true): { path: string; node: FsNode } | undefined {
  let parts = cleanPath(path).split('/').filter(Boolean);
  let cur = '';
  for (let hops = 0, i = 0; i < parts.length; i++) {
    const next = `${cur}/${parts[i]}`;
    const node = files.get(next);
    const last = i === parts.length - 1;
    if (node?.type === 'symlink' && (follow || !last)) {
      if (++hops > 40) return undefined;
      const target = node.linkname ?? '';
      const rest = parts.slice(i + 1);
      parts = [...cleanPath(target.startsWith('/') ? target : `${cur}/${target}`).split('/').filter(Boolean), ...rest];
      cur = '';
      i = -1;
      continue;
    }
    if (!node && next !== '') {
      // Directories implied by deeper entries (tars may omit them) still exist.
      const pre = next + '/';
      let implied = false;
      for (const k of files.keys()) if (k.startsWith(pre)) { implied = true; break; }
      if (!implied) return undefined;
      if (last) return { path: next, node: { type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0 } };
    } else if (node && !last && node.type !== 'directory') return undefined;
    cur = next;
  }
  if (cur === '') return { path: '/', node: { type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0 } };
  return { path: cur, node: files.get(cur)! };
}
