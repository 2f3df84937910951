/**
 * Image references, `host[:port]/repo[/more][:tag][@sha256:…]`: the one parser of the project.
 * `splitImage` splits one as written (Dockerfiles hold unresolved `${REGISTRY}/app:$TAG` text);
 * `parseDockerRef` validates and normalises it the way Docker's reference grammar does.
 * Hand-written: the grammar is a few lines and no maintained library implements it without
 * pulling in a client. A bare name (`alpine`, `user/app`) means Docker Hub by definition; that
 * default lives in DOCKER_HUB and nowhere else.
 */
import { isDigest, type Digest } from './digest.ts';
import { DistillError } from '../util/errors.ts';

/**
 * Docker Hub, the documented meaning of a reference without a registry host: its canonical name,
 * the host that serves its v2 API, and the key `docker login` uses in config.json.
 */
export const DOCKER_HUB = {
  name: 'docker.io',
  apiHost: 'registry-1.docker.io',
  authKey: 'https://index.docker.io/v1/',
} as const;

export interface DockerRef {
  /** Registry host with optional port, e.g. `127.0.0.1:5000`, `docker.io`. */
  registry: string;
  /** Repository path, e.g. `library/alpine`, `team/app`. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

/** A reference as written: what follows the first `@` is the digest, the text after the last `:` behind the last `/` the tag. */
export interface ImageNameParts {
  name: string;
  tag: string | null;
  digest: string | null;
}

/**
 * Splits `name[:tag][@digest]` as written, nothing validated or normalised (`node:20` keeps the
 * name `node`); an empty tag or digest (`node:`, `node@`) is the empty string.
 */
export function splitImage(ref: string): ImageNameParts {
  let name = ref;
  let digest: string | null = null;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag: string | null = null;
  const colon = name.lastIndexOf(':');
  // A colon before the last slash is a registry port (`localhost:5000/app`), not a tag.
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  return { name, tag, digest };
}

/** Parses a registry reference (with or without `docker://`); errors name the input. */
export function parseDockerRef(input: string): DockerRef {
  const s = input.startsWith('docker://') ? input.slice('docker://'.length) : input;
  if (!s) throw new DistillError(input, 'empty registry reference', { code: 'E_INPUT' });
  const split = splitImage(s);
  let digest: Digest | undefined;
  if (split.digest !== null) {
    if (!isDigest(split.digest)) throw new DistillError(input, `invalid digest "${split.digest}" (expected sha256:<64 hex>)`, { code: 'E_INPUT' });
    digest = split.digest;
  }
  const tag = split.tag ?? undefined;
  if (tag !== undefined && !TAG.test(tag)) throw new DistillError(input, `invalid tag "${tag}"`, { code: 'E_INPUT' });
  const parts = split.name.split('/');
  let registry: string;
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    registry = first;
    parts.shift();
    if (!HOST.test(registry)) throw new DistillError(input, `invalid registry host "${registry}"`, { code: 'E_INPUT' });
  } else {
    registry = DOCKER_HUB.name;
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB.name;
  if (registry === DOCKER_HUB.name && parts.length === 1) parts.unshift('library');
  for (const p of parts) {
    if (!COMPONENT.test(p)) throw new DistillError(input, `invalid repository name component "${p}" (lowercase letters, digits and separators . _ __ -)`, { code: 'E_INPUT' });
  }
  const ref: DockerRef = { registry, repository: parts.join('/') };
  if (tag) ref.tag = tag;
  if (digest) ref.digest = digest;
  if (!tag && !digest) ref.tag = 'latest';
  return ref;
}

/** The normalised reference (`node` -> docker.io/library/node, tag latest), or null when `input` is no valid one (unresolved `$VAR` text, uppercase). */
export function normalizeImageRef(input: string): DockerRef | null {
  try {
    return parseDockerRef(input);
  } catch (e) {
    if (e instanceof DistillError) return null;
    throw e;
  }
}

/** The canonical string of a reference, e.g. `127.0.0.1:5000/app:1` or `docker.io/library/alpine@sha256:…`. */
export function formatDockerRef(r: DockerRef): string {
  return `${r.registry}/${r.repository}${r.tag ? ':' + r.tag : ''}${r.digest ? '@' + r.digest : ''}`;
}

/** The host serving the v2 API for a registry name (Docker Hub's name differs from its API host). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB.name ? DOCKER_HUB.apiHost : registry;
}

/** Whether a registry host is on the loopback interface (plain http is allowed there). */
export function isLoopback(registry: string): boolean {
  let host = registry;
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else host = host.replace(/:\d+$/, '');
  host = host.toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
