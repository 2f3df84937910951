/**
 * What we know about common base images, from their reference alone (no pull): whether the image
 * is distroless, whether it has a shell, which package manager and toolchain it carries, whether
 * the tag is a debug variant, and the user it runs as by default. Shared by lint and convert.
 * Anything we do not recognise is reported as 'unknown' rather than guessed. References are split
 * and normalised by src/oci/docker-ref.ts, the project's one image-reference parser.
 */
import { DOCKER_HUB, normalizeImageRef, splitImage } from '../oci/docker-ref.ts';

export type PackageManager = 'apt' | 'apk' | 'dnf' | 'microdnf' | 'yum' | 'zypper';
export type Tri = boolean | 'unknown';

export interface ImageRef {
  /** Everything before the tag/digest, e.g. `gcr.io/distroless/static-debian12`. */
  name: string;
  tag: string | null;
  /** `sha256:…` when pinned by digest. */
  digest: string | null;
}

export interface BaseInfo {
  /** Family label for messages, e.g. `distroless`, `chainguard`, `debian`, `alpine`, `scratch`. */
  family: string;
  /** No package manager and (unless a debug tag) no shell. */
  distroless: Tri;
  hasShell: Tri;
  packageManager: PackageManager | null | 'unknown';
  /** A compiler or build tool the image ships (go, cargo, javac, gcc, dotnet-sdk, npm, pip…). */
  toolchain: string | null | 'unknown';
  /** The tag is a debug variant (busybox shell added). */
  debug: boolean;
  /** User the image runs as when the Dockerfile sets none: 'root', a uid, or 'unknown'. */
  defaultUser: 'root' | number | 'unknown';
}

/** Splits `registry:5000/ns/name:tag@sha256:…` into name, tag and digest as written; an empty tag or digest is none. */
export function parseImageRef(ref: string): ImageRef {
  const { name, tag, digest } = splitImage(ref.trim());
  return { name, tag: tag || null, digest: digest || null };
}

/** The last path component of an image name (`gcr.io/distroless/cc-debian12` -> `cc-debian12`). */
export function imageBasename(name: string): string {
  const parts = name.toLowerCase().split('/');
  return parts[parts.length - 1] ?? '';
}

/** True for debug variants: `:debug`, `:debug-nonroot`, `:nonroot-debug`, chainguard `-dev`. */
export function isDebugTag(tag: string | null): boolean {
  if (!tag) return false;
  return /(^|[-_.])debug($|[-_.])/i.test(tag) || /(^|-)dev$/i.test(tag);
}

const LANGUAGE_IMAGES: Record<string, string> = {
  golang: 'go', rust: 'cargo', gcc: 'gcc', maven: 'maven', gradle: 'gradle', openjdk: 'javac',
  'eclipse-temurin': 'javac', amazoncorretto: 'javac', node: 'npm', python: 'pip', pypy: 'pip',
  ruby: 'gem', php: 'php', composer: 'composer', sdk: 'dotnet-sdk', buildpack: 'gcc', clang: 'clang',
  elixir: 'mix', erlang: 'rebar3', swift: 'swift', haskell: 'ghc', perl: 'cpan', ghcr: 'unknown',
};

/** Docker Hub's official images however spelled (`node`, `docker.io/node`, `index.docker.io/library/node`), and mirrors keeping their `library/` path. */
function isOfficialImage(name: string): boolean {
  if (!name.includes('/') || /^([^/]+\/)?library\/[^/]+$/.test(name)) return true;
  const ref = normalizeImageRef(name);
  return ref?.registry === DOCKER_HUB.name && ref.repository.startsWith('library/');
}

const DEB_DISTROS = new Set(['debian', 'ubuntu', 'buildpack-deps']);
const RPM_DISTROS: Record<string, PackageManager> = {
  fedora: 'dnf', rockylinux: 'dnf', almalinux: 'dnf', centos: 'yum', 'amazonlinux': 'dnf', oraclelinux: 'dnf',
  ubi: 'dnf', ubi8: 'dnf', ubi9: 'dnf', ubi10: 'dnf', 'ubi-minimal': 'microdnf', opensuse: 'zypper', 'leap': 'zypper', tumbleweed: 'zypper',
};

/**
 * Shell-less images whose default user is documented, by name and tag pattern (first match wins).
 * Microsoft's .NET 8+ chiseled and Azure Linux distroless images set `USER app` = 1654; Canonical's
 * chiselled rocks of the JRE and .NET run as Rockcraft's `_daemon_` user, 584792. Others stay
 * 'unknown'.
 */
const DEFAULT_USERS: { name: RegExp; tag: RegExp; user: number }[] = [
  // .NET 8 set the uid to 1654 (6 and 7 used 101), so only tags from 8.0 on.
  { name: /^mcr\.microsoft\.com\/dotnet\//, tag: /^([89]|[1-9]\d)\.\d+.*-(chiseled|distroless)($|-)/, user: 1654 },
  { name: /^(docker\.io\/)?ubuntu\/(jre|dotnet-deps|dotnet-runtime|dotnet-aspnet)$/, tag: /_(stable|edge|beta|candidate)$|chisel/, user: 584792 },
];

/** The documented default uid of a chiseled or distroless image, or 'unknown'. */
function knownDefaultUser(name: string, tag: string): number | 'unknown' {
  return DEFAULT_USERS.find((d) => d.name.test(name) && d.tag.test(tag))?.user ?? 'unknown';
}

function info(p: Partial<BaseInfo> & { family: string }): BaseInfo {
  return { distroless: 'unknown', hasShell: 'unknown', packageManager: 'unknown', toolchain: 'unknown', debug: false, defaultUser: 'unknown', ...p };
}

/** Classifies an image reference (as written after FROM, ARGs already substituted). */
export function classifyBase(ref: string | ImageRef): BaseInfo {
  const r = typeof ref === 'string' ? parseImageRef(ref) : ref;
  const name = r.name.toLowerCase();
  const base = imageBasename(name);
  const tag = (r.tag ?? '').toLowerCase();
  const debug = isDebugTag(r.tag);
  const nonrootTag = /(^|-)nonroot($|-)/.test(tag);
  const alpine = /alpine/.test(tag) || base === 'alpine';

  if (name === 'scratch') return info({ family: 'scratch', distroless: true, hasShell: false, packageManager: null, toolchain: null, defaultUser: 'root' });

  if (name.includes('/distroless/')) {
    return info({ family: 'distroless', distroless: true, hasShell: debug, packageManager: null, toolchain: null, debug, defaultUser: nonrootTag ? 65532 : 'root' });
  }
  if (name.includes('chainguard/') || name.startsWith('cgr.dev/')) {
    // Chainguard's -dev variants add a shell and apk; the plain ones run as 65532 except a few.
    return info({ family: 'chainguard', distroless: !debug, hasShell: debug, packageManager: debug ? 'apk' : null, toolchain: /^(go|rust|maven|gradle|jdk|gcc-glibc|python-dev|node-dev)$/.test(base) ? base : null, debug, defaultUser: 'unknown' });
  }
  if (/chiseled/.test(tag) || /^ubuntu\/(jre|python|dotnet|chiselled)/.test(name) || (/_stable$/.test(tag) && name.startsWith('ubuntu/'))) {
    return info({ family: 'chiseled', distroless: true, hasShell: false, packageManager: null, toolchain: null, defaultUser: knownDefaultUser(name, tag) });
  }
  // Microsoft's `-distroless` tags (.NET, OpenJDK on Azure Linux); other publishers' tags say nothing sure.
  if (/(^|-)distroless($|-)/.test(tag) && name.startsWith('mcr.microsoft.com/')) {
    return info({ family: 'distroless', distroless: true, hasShell: false, packageManager: null, toolchain: null, defaultUser: knownDefaultUser(name, tag) });
  }
  if (base === 'ubi-micro') return info({ family: 'ubi-micro', distroless: false, hasShell: 'unknown', packageManager: null, toolchain: null, defaultUser: 'root' });
  if (base === 'busybox') return info({ family: 'busybox', distroless: false, hasShell: true, packageManager: null, toolchain: null, defaultUser: 'root' });
  if (base === 'alpine') return info({ family: 'alpine', distroless: false, hasShell: true, packageManager: 'apk', toolchain: null, defaultUser: 'root' });
  if (DEB_DISTROS.has(base)) return info({ family: base, distroless: false, hasShell: true, packageManager: 'apt', toolchain: base === 'buildpack-deps' ? 'gcc' : null, defaultUser: 'root' });
  if (base in RPM_DISTROS) return info({ family: base, distroless: false, hasShell: true, packageManager: RPM_DISTROS[base] ?? 'dnf', toolchain: null, defaultUser: 'root' });
  if (name.startsWith('mcr.microsoft.com/dotnet/')) {
    const sdk = base === 'sdk';
    return info({ family: 'dotnet', distroless: false, hasShell: true, packageManager: alpine ? 'apk' : 'apt', toolchain: sdk ? 'dotnet-sdk' : null, defaultUser: 'root' });
  }
  if (base in LANGUAGE_IMAGES && isOfficialImage(name)) {
    const tc = LANGUAGE_IMAGES[base] ?? 'unknown';
    // JRE-only tags of the Java images carry no compiler.
    const toolchain = /jre/.test(tag) ? null : tc;
    return info({ family: base, distroless: false, hasShell: true, packageManager: alpine ? 'apk' : 'apt', toolchain, defaultUser: 'root' });
  }
  // A -dev or debug tag on an image we do not know says nothing about a shell being added.
  return info({ family: 'unknown' });
}

/** True when the reference is known to be a distroless (shell-less, package-manager-less) image. */
export function isDistroless(ref: string | ImageRef): boolean {
  return classifyBase(ref).distroless === true;
}

/** True when the reference is known to have no shell at `/bin/sh`. */
export function isShellless(ref: string | ImageRef): boolean {
  return classifyBase(ref).hasShell === false;
}
