/**
 * Image references in skopeo's transport syntax, and the two entry points every command uses:
 * `openImage(ref)` and `writeImage(image, ref)`.
 */
import type { Image } from './image.ts';
import { readLayout, writeLayout } from './transports/layout.ts';
import { pushRegistry, readRegistry } from './transports/registry.ts';
import { DistillError } from '../util/errors.ts';
import { checkPlatform } from './platform.ts';
import { parsePlatform } from './types.ts';

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
  // A bare reference goes to the network only when it names its registry (host/name:tag): a
  // mistyped transport (`oic:dir`, `foo:bar`) must not quietly become a Docker Hub pull.
  if (/^[a-z0-9][a-z0-9._:/@-]*$/i.test(ref) && !ref.startsWith('/') && !ref.startsWith('.')) {
    if (namesRegistry(ref)) return { transport: 'registry', name: ref };
    throw new DistillError(ref, `not a known transport or registry host; a registry reference names its host (with a dot or port, or localhost), e.g. docker://${ref} for Docker Hub; or use one of ${LOCAL_FORMS}`, { code: 'E_USAGE' });
  }
  throw new DistillError(ref, `not an image reference; use one of ${LOCAL_FORMS}, docker://HOST/NAME:TAG`, { code: 'E_INPUT' });
}

const LOCAL_FORMS = 'oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, podman:NAME, docker:NAME';

/** Whether a bare reference starts with a registry host: a dot or a port in it, or `localhost`. */
function namesRegistry(ref: string): boolean {
  const slash = ref.indexOf('/');
  if (slash === -1) return false;
  const host = ref.slice(0, slash);
  return host === 'localhost' || host.includes('.') || /:\d+$/.test(host);
}

export interface OpenOptions {
  platform?: string;
}

/** Opens the image a reference names, from any transport. */
export async function openImage(ref: string, opts: OpenOptions = {}): Promise<Image> {
  const r = parseRef(ref);
  // A malformed --platform is the user's mistake whatever the image holds: say so before reading it.
  if (opts.platform !== undefined) parsePlatform(opts.platform);
  return checkPlatform(await openParsed(r, opts), opts.platform, ref);
}

async function openParsed(r: ImageRef, opts: OpenOptions): Promise<Image> {
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
