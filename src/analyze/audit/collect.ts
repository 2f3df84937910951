/**
 * What an audit needs from an image, gathered in one streaming pass over its layers (the layers
 * module's walkImage): the merged filesystem (path -> final entry, whiteouts applied) and the
 * contents of the few small files the checks read (passwd, shadow, package.json, secret candidates),
 * and, in the same pass, the runtime closure of every ELF file (src/needs) for the library checks.
 */
import type { Image } from '../../oci/image.ts';
import type { ImageConfig } from '../../oci/types.ts';
import { walkImage, type FsEntry } from '../../layers/filesystem.ts';
import { isUserFile } from '../user-files.ts';
import { analyzeNeeds, closureCollector, ldLibraryPathOf, type NeedsReport } from '../../needs/index.ts';

export interface AuditInput {
  config: ImageConfig;
  /** Final filesystem: absolute path -> the layers module's entry (its `path` made absolute too). */
  files: Map<string, FsEntry>;
  /** Contents of the files `wantContent` selected, keyed by path and layer (final ones kept). */
  contents: Map<string, Buffer>;
  layerCount: number;
  /** Bytes of each layer's uncompressed tar, in layer order. */
  layerTarBytes: number[];
  reference?: string;
  /** The runtime closure of the final filesystem (src/needs), read in the same pass. */
  needs?: NeedsReport;
}


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
  if (isUserFile(path, size) || path === '/etc/shadow') return true;
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

/** Reads everything the audit needs from `image` in one pass over its layers (`walkImage`). */
export async function collectAuditInput(image: Image, reference?: string): Promise<AuditInput> {
  const config = await image.config();
  const contents = new Map<string, { layer: number; data: Buffer }>();
  const closure = closureCollector();
  const merged = await walkImage(image, {
    wantContent: (p, e) => wantContent(`/${p}`, e.size) || closure.want(e.size),
    async onContent(p, layer, body, e) {
      const path = `/${p}`;
      const chunks: Buffer[] | undefined = wantContent(path, e.size) ? [] : undefined;
      await closure.consume(path, layer, body, e.size, chunks && ((c) => chunks.push(c)));
      if (chunks) contents.set(path, { layer, data: Buffer.concat(chunks) });
    },
  });
  const needs = analyzeNeeds(closure.finish(merged.entries), reference ?? 'image', { ldLibraryPath: ldLibraryPathOf(config.config?.Env), arch: config.architecture });
  const files = new Map<string, FsEntry>();
  for (const [p, e] of merged.entries) {
    const path = `/${p}`.replace(/\/+$/, '') || '/';
    files.set(path, { ...e, path });
  }
  const final = new Map<string, Buffer>();
  // Only the version the final filesystem holds counts (a later symlink or file replaces it).
  for (const [p, c] of contents) if (files.get(p)?.type === 'file' && files.get(p)?.layerIndex === c.layer) final.set(p, c.data);
  return { config, files, contents: final, layerCount: merged.layers.length, layerTarBytes: merged.layers.map((l) => l.tarBytes), reference, needs };
}
