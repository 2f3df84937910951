/**
 * What an audit needs from an image, gathered in one streaming pass over its layers: the merged
 * filesystem (path -> final entry, with OCI whiteouts applied) and the contents of the few small
 * files the checks read (passwd, shadow, package.json files, secret candidates).
 */
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import type { Image } from '../../oci/image.ts';
import type { ImageConfig } from '../../oci/types.ts';
import { DistillError } from '../../util/errors.ts';

export type EntryType = 'file' | 'directory' | 'symlink' | 'link' | 'char' | 'block' | 'fifo' | 'other';

export interface FsEntry {
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  layer: number;
}

export interface AuditInput {
  config: ImageConfig;
  /** Final filesystem: absolute path -> entry. */
  files: Map<string, FsEntry>;
  /** Contents of the files `wantContent` selected, keyed by path and layer (final ones kept). */
  contents: Map<string, Buffer>;
  layerCount: number;
  /** Bytes of each layer's uncompressed tar, in layer order. */
  layerTarBytes: number[];
  reference?: string;
}

const TYPE: Record<string, EntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'link',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

/** `./usr/bin/` -> `/usr/bin`; `..` never climbs above the root. */
export function normalPath(name: string): string {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

/** Files whose content the audit reads: small, and either well-known or secret candidates. */
export function wantContent(path: string, size: number): boolean {
  if (size > 256 * 1024) return false;
  if (path === '/etc/passwd' || path === '/etc/shadow' || path === '/etc/group') return true;
  if (/\/package\.json$/.test(path) && !path.includes('/node_modules/')) return true;
  return isSecretCandidate(path, size);
}

/** System trees where a text match would be a package's own test data, not a leaked secret. */
const SYSTEM = /^\/(usr\/(share|lib|lib64|include|libexec|src)|lib|lib64|proc|sys|etc\/ssl|var\/lib\/dpkg|nodejs\/include)\//;

/** Files scanned for secrets: anything small outside system trees, plus well-known secret names. */
export function isSecretCandidate(path: string, size: number): boolean {
  if (size > 256 * 1024) return false;
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (/^(id_rsa|id_dsa|id_ecdsa|id_ed25519|\.env(\..+)?|credentials|\.npmrc|\.pypirc|\.netrc|\.git-credentials|config\.json|.*\.pem|.*\.key|.*\.p12)$/.test(base)) {
    return !SYSTEM.test(path) || /\/(private|secrets?)\//.test(path);
  }
  if (SYSTEM.test(path) || path.includes('/node_modules/') || path.includes('/site-packages/') || path.includes('/dist-packages/')) return false;
  return /\.(env|json|ya?ml|toml|ini|cfg|conf|properties|txt|sh|py|js|ts|rb|go|xml)$/.test(base) || !base.includes('.');
}

/** Reads everything the audit needs from `image` in one pass over its layers. */
export async function collectAuditInput(image: Image, reference?: string): Promise<AuditInput> {
  const config = await image.config();
  const layers = await image.layers();
  const files = new Map<string, FsEntry>();
  const layerTarBytes: number[] = [];
  const contents = new Map<string, { layer: number; data: Buffer }>();
  const removePrefix = (dir: string, before: number) => {
    const pre = dir === '/' ? '/' : dir + '/';
    for (const [p, e] of files) if (e.layer < before && p.startsWith(pre)) files.delete(p);
  };
  for (const [i, layer] of layers.entries()) {
    const ex = tar.extract();
    const done = new Promise<void>((resolve, reject) => {
      ex.on('entry', (h, stream, next) => {
        const drain = () => {
          stream.on('end', () => next());
          stream.resume();
        };
        const path = normalPath(h.name);
        const slash = path.lastIndexOf('/');
        const dir = path.slice(0, slash) || '/';
        const base = path.slice(slash + 1);
        if (base === '.wh..wh..opq') {
          removePrefix(dir, i);
          return drain();
        }
        if (base.startsWith('.wh.')) {
          const target = (dir === '/' ? '' : dir) + '/' + base.slice(4);
          const prev = files.get(target);
          files.delete(target);
          contents.delete(target);
          if (prev?.type === 'directory') removePrefix(target, i);
          return drain();
        }
        const type = TYPE[h.type ?? 'file'] ?? 'other';
        const prev = files.get(path);
        if (prev?.type === 'directory' && type !== 'directory') removePrefix(path, i);
        files.set(path, {
          path,
          type,
          size: h.size ?? 0,
          mode: (h.mode ?? 0) & 0o7777,
          uid: h.uid ?? 0,
          gid: h.gid ?? 0,
          ...(h.linkname ? { linkname: h.linkname } : {}),
          layer: i,
        });
        if (type === 'file' && wantContent(path, h.size ?? 0)) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: unknown) => chunks.push(c as Buffer));
          stream.on('end', () => {
            contents.set(path, { layer: i, data: Buffer.concat(chunks) });
            next();
          });
        } else {
          contents.delete(path);
          drain();
        }
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
    });
    const src: Readable = await layer.uncompressed();
    let bytes = 0;
    src.on('data', (c: Buffer) => (bytes += c.length));
    src.on('error', (e) => ex.destroy(e));
    src.pipe(ex);
    try {
      await done;
    } catch (e) {
      if (e instanceof DistillError) throw e;
      throw new DistillError(`layer ${layer.digest}`, `unreadable tar: ${e instanceof Error ? e.message : String(e)}`);
    }
    layerTarBytes.push(bytes);
  }
  const final = new Map<string, Buffer>();
  for (const [p, c] of contents) if (files.get(p)?.layer === c.layer) final.set(p, c.data);
  return { config, files, contents: final, layerCount: layers.length, layerTarBytes, reference };
}
