/**
 * The final filesystem of an image (metadata only) for verify's file checks, by absolute path,
 * from the layers module's one merged view (`walkImage`: whiteouts and opaque directories
 * applied, implied directories present), and path lookup that follows symlinks inside the image
 * root.
 */
import type { Digest } from '../oci/digest.ts';
import type { Image } from '../oci/image.ts';
import { walkImage, type FsEntry } from '../layers/filesystem.ts';
import { normalPath } from '../analyze/audit/collect.ts';

/** The image root, which the merged view leaves implicit. */
const ROOT: FsEntry = { path: '/', type: 'directory', size: 0, mode: 0o755, uid: 0, gid: 0, linkname: '', layerIndex: -1, layerDigest: '' as Digest };

/** Reads the merged filesystem of `image`: absolute path -> entry (its `path` absolute too). */
export async function mergedFs(image: Image): Promise<Map<string, FsEntry>> {
  const files = new Map<string, FsEntry>([['/', ROOT]]);
  for (const [p, e] of (await walkImage(image)).entries) files.set(`/${p}`, { ...e, path: `/${p}` });
  return files;
}

/** Looks `path` up following symlinks (absolute ones relative to the image root); undefined when absent. */
export function lookup(files: Map<string, FsEntry>, path: string, follow = true): { path: string; node: FsEntry } | undefined {
  let parts = normalPath(path).split('/').filter(Boolean);
  let cur = '';
  for (let hops = 0, i = 0; i < parts.length; i++) {
    const next = `${cur}/${parts[i]}`;
    const node = files.get(next);
    const last = i === parts.length - 1;
    if (node?.type === 'symlink' && (follow || !last)) {
      if (++hops > 40) return undefined;
      const target = node.linkname;
      const rest = parts.slice(i + 1);
      parts = [...normalPath(target.startsWith('/') ? target : `${cur}/${target}`).split('/').filter(Boolean), ...rest];
      cur = '';
      i = -1;
      continue;
    }
    // Directories implied by deeper entries are in the merged view, so a miss is absence.
    if (!node || (!last && node.type !== 'directory')) return undefined;
    cur = next;
  }
  const at = cur || '/';
  const node = files.get(at);
  return node && { path: at, node };
}
