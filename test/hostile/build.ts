/**
 * Builders for the hostile corpus: layouts written by hand (test/layers/helpers.ts), gzip bombs
 * made of repeated gzip members (a valid multi-member gzip stream, so no bomb is ever inflated
 * while building it), and a sandbox that tells what a command left outside its target.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256, type Digest } from '../../src/oci/digest.ts';
import { file, rawTar, ustarHeader, type BlobLayerSpec } from '../layers/helpers.ts';
import { tempDir } from '../helpers/images.ts';

const MiB = 1024 * 1024;

/**
 * A gzip layer whose tar holds one file `name` of `mib` MiB of zeros: ~1 KiB of gzip per MiB. Its
 * diff_id is not computed (that would mean hashing the whole expansion): a reader must refuse
 * the layer long before its end, where the diff_id would be checked.
 */
export function gzipBomb(mib: number, name = 'bomb', opts: { realDiffId?: boolean } = {}): BlobLayerSpec {
  const header = ustarHeader({ name, mode: 0o644 }, mib * MiB);
  const zeros = Buffer.alloc(MiB);
  const chunk = gzipSync(zeros, { level: 9 });
  const parts = [gzipSync(header)];
  for (let i = 0; i < mib; i++) parts.push(chunk);
  parts.push(gzipSync(Buffer.alloc(1024)));
  let diffId = sha256('not the diff_id') as Digest;
  if (opts.realDiffId) {
    // With realDiffId the layer is meant to be read whole: hash what it inflates to, 1 MiB at a time.
    const h = createHash('sha256').update(header);
    for (let i = 0; i < mib; i++) h.update(zeros);
    diffId = `sha256:${h.update(Buffer.alloc(1024)).digest('hex')}`;
  }
  return { blob: Buffer.concat(parts), diffId, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
}

/** A small, valid gzip layer of one file. */
export function smallLayer(name = 'etc/hostname', content = 'box'): BlobLayerSpec {
  const tar = rawTar([file(name, content)]);
  return { blob: gzipSync(tar), diffId: sha256(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
}

/** A fresh sandbox directory; `target` and `outside` inside it are for the case to use. */
export function sandbox(): { root: string; work: string } {
  const root = tempDir('distill-hostile-');
  const work = join(root, 'work');
  mkdirSync(work);
  return { root, work };
}

/** Every path under `root` (relative), sorted; a `.tmp` temp file among them is a leak. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      out.push(relative(root, p));
      if (lstatSync(p).isDirectory()) walk(p);
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

/** A ustar header of a file whose size field is base-256 -1 (all 0xff), checksum fixed up. */
export function negativeSizeHeader(name: string): Buffer {
  const h = ustarHeader({ name, mode: 0o644 }, 0);
  h.fill(0xff, 124, 136);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return h;
}

/** Rewrites the manifest of the layout at `dir` (tag `t`) with `edit`, re-pointing index.json at it. */
export function rewriteManifest(dir: string, edit: (m: { layers: { size: number; digest: string }[] }) => void): void {
  const idxPath = join(dir, 'index.json');
  const idx = JSON.parse(readFileSync(idxPath, 'utf8')) as { manifests: { digest: string; size: number }[] };
  const desc = idx.manifests[0]!;
  const m = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', desc.digest.slice(7)), 'utf8'));
  edit(m);
  const raw = Buffer.from(JSON.stringify(m));
  const d = sha256(raw);
  writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), raw);
  desc.digest = d;
  desc.size = raw.length;
  writeFileSync(idxPath, JSON.stringify(idx));
}
