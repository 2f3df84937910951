/**
 * Image references in skopeo's transport syntax, and the two entry points every command uses:
 * `openImage(ref)` and `writeImage(image, ref)`.
 */
import type { Image } from './image.ts';
import { readLayout, writeLayout } from './transports/layout.ts';
import { pushRegistry, readRegistry } from './transports/registry.ts';
import { DistillError } from '../util/errors.ts';

// The archive and daemon transports (tar-stream, child processes) load only when a reference
// names them: a registry or layout command starts without them.
const archive = () => import('./transports/archive.ts');
const daemon = () => import('./transports/daemon.ts');

export type ImageRef =
  | { transport: 'oci'; path: string; tag?: string }
  | { transport: 'oci-archive'; path: string; tag?: string }
  | { transport: 'docker-archive'; path: string; tag?: string }
  | { transport: 'podman' | 'docker'; name: string }
  | { transport: 'registry'; name: string };

export const TRANSPORTS = ['oci', 'oci-archive', 'docker-archive', 'podman', 'docker', 'docker://'] as const;

/** Splits `PATH[:TAG]` at the first colon, as skopeo does (paths cannot contain colons). */
function pathAndTag(rest: string): { path: string; tag?: string } {
  const colon = rest.indexOf(':');
  if (colon === -1) return { path: rest };
  const tag = rest.slice(colon + 1);
  return tag ? { path: rest.slice(0, colon), tag } : { path: rest.slice(0, colon) };
}

/** Parses a reference string; errors name the reference. */
export function parseRef(ref: string): ImageRef {
  const m = /^([a-z-]+):(.*)$/.exec(ref);
  if (ref.startsWith('docker://')) return { transport: 'registry', name: ref.slice('docker://'.length) };
  if (m) {
    const [, scheme, rest] = m as unknown as [string, string, string];
    if (!rest) throw new DistillError(ref, `empty ${scheme}: reference`, { code: 'E_INPUT' });
    switch (scheme) {
      case 'oci':
      case 'oci-archive':
      case 'docker-archive':
        return { transport: scheme, ...pathAndTag(rest) };
      case 'podman':
      case 'docker':
        return { transport: scheme, name: rest };
    }
  }
  // Anything else that looks like a registry reference (host/name:tag, name@sha256:…).
  if (/^[a-z0-9][a-z0-9._:/@-]*$/i.test(ref) && !ref.startsWith('/') && !ref.startsWith('.')) {
    return { transport: 'registry', name: ref };
  }
  throw new DistillError(ref, `not an image reference; use one of oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, podman:NAME, docker:NAME`, { code: 'E_INPUT' });
}

export interface OpenOptions {
  platform?: string;
}

/** Opens the image a reference names, from any transport. */
export async function openImage(ref: string, opts: OpenOptions = {}): Promise<Image> {
  const r = parseRef(ref);
  switch (r.transport) {
    case 'oci':
      return readLayout(r.path, { tag: r.tag, platform: opts.platform });
    case 'oci-archive':
      return (await archive()).readOciArchive(r.path, { tag: r.tag, platform: opts.platform });
    case 'docker-archive':
      return (await archive()).readDockerArchive(r.path, { tag: r.tag });
    case 'podman':
    case 'docker':
      return (await daemon()).readDaemon(r.transport, r.name);
    case 'registry':
      return readRegistry(r.name, { platform: opts.platform });
  }
}

/** Writes an image to the place a reference names. */
export async function writeImage(image: Image, ref: string): Promise<void> {
  const r = parseRef(ref);
  switch (r.transport) {
    case 'oci':
      await writeLayout(image, r.path, r.tag);
      return;
    case 'oci-archive':
      return (await archive()).writeOciArchive(image, r.path, r.tag);
    case 'docker-archive':
      return (await archive()).writeDockerArchive(image, r.path, r.tag);
    case 'podman':
    case 'docker':
      return (await daemon()).writeDaemon(r.transport, image, r.name);
    case 'registry':
      await pushRegistry(image, r.name);
      return;
  }
}
