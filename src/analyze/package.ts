/**
 * The package model every cataloger produces and every SBOM writer consumes, the cataloger
 * interface, and package-URL helpers (purl spec: one `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS`
 * per package, built with packageurl-js so encoding rules are the spec's, not ours).
 */
import { PackageURL } from 'packageurl-js';

export type PackageType = 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'golang' | 'maven' | 'cargo' | 'generic' | 'binary';

/** One installed package, as found in the final filesystem of an image or directory. */
export interface Package {
  name: string;
  version: string;
  type: PackageType;
  purl: string;
  licenses?: string[];
  arch?: string;
  /** The source package (Debian `Source:`, apk origin, rpm source rpm name). */
  sourceName?: string;
  sourceVersion?: string;
  /** Absolute paths of the files the package was read from. */
  locations: string[];
  /** Name of the cataloger that found it. */
  cataloger: string;
  /**
   * `lockfile`: named by a lockfile or pinned requirements file, not found installed (an app
   * whose dependencies are not in the image or directory yet); absent for installed packages.
   */
  declared?: 'lockfile';
  /** A development-only dependency, as the lockfile says. */
  dev?: boolean;
  metadata?: Record<string, unknown>;
}

/** The operating system of an image, from os-release (or the distro's own release file). */
export interface Distro {
  /** os-release ID, e.g. `debian`, `alpine`, `rhel`. */
  id: string;
  /** os-release VERSION_ID, e.g. `12`, `3.19.1`. */
  versionId?: string;
  codename?: string;
  prettyName?: string;
}

/** What a cataloger is told about a file before its content is read. */
export interface FileInfo {
  size: number;
  /** Unix permission bits (0o777 part and setuid/setgid), when known. */
  mode: number;
}

/** Passed to `parse`: the distro found so far (os-release is read first) and a warning sink. */
export interface CatalogContext {
  distro?: Distro;
  warn(message: string): void;
}

/**
 * A cataloger is a pure function over file contents. `wants` decides from the path (and size and
 * mode) whether a file is read; `parse` turns its bytes into packages.
 */
export interface Cataloger {
  readonly name: string;
  /** `true`: read the content; `'path'`: call `parse` with an empty buffer (presence is enough). */
  wants(path: string, info: FileInfo): boolean | 'path';
  /** Files larger than this are skipped with a warning (bytes; default 64 MiB). */
  readonly maxSize?: number;
  /** Content must start with these bytes (e.g. ELF magic); others are skipped without reading. */
  readonly magic?: Buffer;
  /** Parse only after the whole walk, when the distro is known (OS package databases). */
  readonly needsDistro?: boolean;
  parse(path: string, content: Buffer, ctx: CatalogContext): Package[] | Promise<Package[]>;
  /**
   * Files that add to this cataloger's packages rather than name packages (Debian copyright
   * files): read (up to 1 MiB) when they are final, then given to `complete`.
   */
  companion?(path: string): boolean;
  /** Called once after the walk with this cataloger's packages and its final companion files. */
  complete?(packages: Package[], companions: ReadonlyMap<string, Buffer>): Package[];
  /**
   * Streaming alternative to `parse` for large files (binaries): when present, the walk feeds the
   * file's chunks to a scanner instead of buffering the file.
   */
  scan?(path: string, info: FileInfo, ctx: CatalogContext): StreamScanner;
}

/** Consumes a file chunk by chunk; `write` returns false once it needs no more bytes. */
export interface StreamScanner {
  write(chunk: Buffer): boolean;
  end(): Package[] | Promise<Package[]>;
}

/** Builds a purl string; empty qualifiers are dropped. */
export function purl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers?: Record<string, string | undefined>,
): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(qualifiers ?? {})) if (v) q[k] = v;
  return new PackageURL(type, namespace || undefined, name, version || undefined, Object.keys(q).length ? q : undefined, undefined).toString();
}

/** The purl `distro` qualifier, e.g. `debian-12`, `alpine-3.19.1`. */
export function distroQualifier(d: Distro | undefined): string | undefined {
  if (!d) return undefined;
  return d.versionId ? `${d.id}-${d.versionId}` : d.id;
}

/**
 * Licenses a package offers as alternatives (npm's old `licenses` array, several Python license
 * classifiers: the user may pick one) as one SPDX `OR` expression, so the writers do not read
 * them as all applying (`AND`).
 */
export function anyOfLicenses(licenses: readonly string[]): string[] {
  const uniq = [...new Set(licenses)];
  if (uniq.length <= 1) return uniq;
  return [uniq.map((l) => (/\s/.test(l) ? `(${l})` : l)).join(' OR ')];
}

/**
 * The vendor namespace of rpm purls (`pkg:rpm/redhat/…`, `pkg:rpm/opensuse/…`), from os-release
 * `ID` spelled the way the purl type list and Syft/Trivy spell vendors; other ids as they are.
 */
export function rpmNamespace(d: Distro | undefined): string | undefined {
  if (!d) return undefined;
  if (d.id === 'rhel') return 'redhat';
  if (d.id.startsWith('opensuse')) return 'opensuse';
  return d.id;
}

/** Stable order for output: by type, then name, then version, then first location. */
export function comparePackages(a: Package, b: Package): number {
  return (
    a.type.localeCompare(b.type) ||
    a.name.localeCompare(b.name) ||
    a.version.localeCompare(b.version) ||
    (a.locations[0] ?? '').localeCompare(b.locations[0] ?? '')
  );
}
