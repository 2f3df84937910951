/**
 * Runtime base images per provider and flavour, with what the converter must know about each:
 * the image name for the nonroot and debug variants, the interpreter path and the image's own
 * ENTRYPOINT (so CMD can be fitted to it), and what the image lacks. A table, as dfc does it,
 * so adding a provider is adding rows.
 */
import { splitImage } from '../oci/docker-ref.ts';

export type Provider = 'google' | 'chainguard' | 'ubi-micro' | 'chiseled' | 'scratch';
export const PROVIDERS: Provider[] = ['google', 'chainguard', 'ubi-micro', 'chiseled', 'scratch'];

/** What the final image needs: libc-free, glibc, glibc+libstdc++, or a language runtime. */
export type Flavour = 'static' | 'base' | 'cc' | 'python3' | 'nodejs' | 'java' | 'dotnet' | 'aspnet';

export interface BaseImage {
  flavour: Flavour;
  /** Image reference (name:tag) for the requested variant. */
  ref: string;
  /** The interpreter's absolute path inside the image (runtimes only). */
  interpreter?: string;
  /** The image's own ENTRYPOINT; null when we do not rely on it (we then set our own). */
  entrypoint: string[] | null;
  /** Language runtime major version where it matters (node 20, java 17, python 3.11). */
  version?: string;
  /** Facts the explanation should mention (no CA bundle, no libstdc++, …). */
  notes: string[];
  /** Set when the provider has no debug variant and --debug was asked for. */
  noDebug?: boolean;
}

export interface BaseRequest {
  provider: Provider;
  flavour: Flavour;
  /** Language runtime version wanted (node major, java major, .NET x.y). */
  version?: string;
  debug?: boolean;
  /** Local bases named PREFIX/<flavour>:nonroot (images built by `distill base`). */
  basePrefix?: string;
}

const GOOGLE = 'gcr.io/distroless';
const CHAINGUARD = 'cgr.dev/chainguard';
const UBI_MICRO = 'registry.access.redhat.com/ubi9/ubi-micro';
const MS_DOTNET = 'mcr.microsoft.com/dotnet';

// Google publishes its runtime images for Debian 13 only (the Debian 12 nodejs, python3 and
// java images are no longer built, so no longer patched); static/base/cc exist for both.
const GOOGLE_DEBIAN = 'debian13';
const GOOGLE_PYTHON = '3.13';
const GOOGLE_NODE = ['22', '24', '26'];
const GOOGLE_JAVA = ['17', '21', '25'];

/** Result of choosing a base: the image, or why this provider cannot host the flavour. */
export type BaseChoice = { ok: true; base: BaseImage; versionNote?: string } | { ok: false; reason: string };

/** Picks the runtime base for a flavour from a provider (or a local prefix). */
export function chooseBase(req: BaseRequest): BaseChoice {
  const { provider, flavour, debug } = req;
  if (req.basePrefix) {
    const prefix = req.basePrefix.replace(/\/+$/, '');
    const name = flavour === 'dotnet' || flavour === 'aspnet' ? 'cc' : flavour;
    const entry: Record<string, string[] | null> = { nodejs: ['/nodejs/bin/node'], python3: ['/usr/bin/python3'], java: ['/usr/bin/java', '-jar'] };
    const interp: Record<string, string> = { nodejs: '/nodejs/bin/node', python3: '/usr/bin/python3', java: '/usr/bin/java' };
    return {
      ok: true,
      base: { flavour: name as Flavour, ref: `${prefix}/${name}:${debug ? 'debug-nonroot' : 'nonroot'}`, interpreter: interp[name], entrypoint: entry[name] ?? null, notes: [] },
    };
  }
  switch (provider) {
    case 'google': {
      const tag = debug ? 'debug-nonroot' : 'nonroot';
      switch (flavour) {
        case 'static':
        case 'base':
        case 'cc':
          return { ok: true, base: { flavour, ref: `${GOOGLE}/${flavour}-${GOOGLE_DEBIAN}:${tag}`, entrypoint: null, notes: flavour === 'static' ? ['no libc: the binary must be statically linked'] : [] } };
        case 'python3': {
          const py = `/usr/bin/python${GOOGLE_PYTHON}`;
          return { ok: true, base: { flavour, ref: `${GOOGLE}/python3-${GOOGLE_DEBIAN}:${tag}`, interpreter: py, entrypoint: [py], version: GOOGLE_PYTHON, notes: [`Debian 13 Python ${GOOGLE_PYTHON}`] } };
        }
        case 'nodejs': {
          const { v, note } = nearest(req.version, GOOGLE_NODE, '24', 'Node.js');
          return { ok: true, base: { flavour, ref: `${GOOGLE}/nodejs${v}-${GOOGLE_DEBIAN}:${tag}`, interpreter: '/nodejs/bin/node', entrypoint: ['/nodejs/bin/node'], version: v, notes: [] }, versionNote: note };
        }
        case 'java': {
          const { v, note } = nearest(req.version, GOOGLE_JAVA, '21', 'Java');
          return { ok: true, base: { flavour, ref: `${GOOGLE}/java${v}-${GOOGLE_DEBIAN}:${tag}`, interpreter: '/usr/bin/java', entrypoint: ['/usr/bin/java', '-jar'], version: v, notes: [] }, versionNote: note };
        }
        case 'dotnet':
        case 'aspnet':
          // Google has no .NET image: the app is published self-contained onto cc.
          return { ok: true, base: { flavour: 'cc', ref: `${GOOGLE}/cc-${GOOGLE_DEBIAN}:${tag}`, entrypoint: null, notes: ['no ICU: globalization-invariant mode'] } };
      }
      break;
    }
    case 'chainguard': {
      const tag = debug ? 'latest-dev' : 'latest';
      const img: Record<Flavour, [string, string | undefined, string[] | null]> = {
        static: ['static', undefined, null],
        base: ['glibc-dynamic', undefined, null],
        cc: ['glibc-dynamic', undefined, null],
        python3: ['python', '/usr/bin/python', ['/usr/bin/python']],
        nodejs: ['node', '/usr/bin/node', ['/usr/bin/node']],
        java: ['jre', '/usr/bin/java', ['/usr/bin/java']],
        dotnet: ['dotnet-runtime', '/usr/bin/dotnet', null],
        aspnet: ['aspnet-runtime', '/usr/bin/dotnet', null],
      };
      const [name, interpreter, entrypoint] = img[flavour];
      return { ok: true, base: { flavour, ref: `${CHAINGUARD}/${name}:${tag}`, interpreter, entrypoint, notes: ['the free tier publishes only :latest; pin it with --pin'] } };
    }
    case 'ubi-micro': {
      const base: BaseImage = { flavour, ref: `${UBI_MICRO}:9.5`, entrypoint: null, notes: ['glibc only: no libstdc++, no language runtime'], noDebug: debug };
      if (flavour === 'static' || flavour === 'base') return { ok: true, base };
      if (flavour === 'cc' || flavour === 'dotnet' || flavour === 'aspnet') return { ok: true, base: { ...base, flavour: 'cc', notes: ['ubi-micro has no libstdc++ or libgcc_s; C++/Rust/.NET binaries need them copied in or linked statically'] } };
      return { ok: false, reason: `ubi-micro has no ${flavour} runtime (only glibc); use --provider google or chainguard` };
    }
    case 'chiseled': {
      const depsTag = '8.0-noble-chiseled';
      if (flavour === 'static' || flavour === 'base' || flavour === 'cc') {
        return { ok: true, base: { flavour, ref: `${MS_DOTNET}/runtime-deps:${depsTag}`, entrypoint: null, notes: ['Ubuntu chiseled: glibc, libstdc++, OpenSSL, CA certificates'], noDebug: debug } };
      }
      if (flavour === 'python3') return { ok: true, base: { flavour, ref: 'ubuntu/python:3.12-24.04_stable', interpreter: '/usr/bin/python3', entrypoint: null, version: '3.12', notes: ['Ubuntu 24.04 chiseled Python 3.12'], noDebug: debug } };
      if (flavour === 'java') {
        const { v, note } = nearest(req.version, ['17', '21'], '21', 'Java');
        return { ok: true, base: { flavour, ref: `ubuntu/jre:${v}-24.04_stable`, interpreter: '/usr/bin/java', entrypoint: null, version: v, notes: ['Ubuntu 24.04 chiseled JRE'], noDebug: debug }, versionNote: note };
      }
      if (flavour === 'dotnet' || flavour === 'aspnet') {
        const ver = /^\d+\.\d+$/.test(req.version ?? '') ? req.version! : '8.0';
        const distro = Number.parseFloat(ver) < 8 ? 'jammy' : 'noble';
        const repo = flavour === 'aspnet' ? 'aspnet' : 'runtime';
        return { ok: true, base: { flavour, ref: `${MS_DOTNET}/${repo}:${ver}-${distro}-chiseled`, interpreter: 'dotnet', entrypoint: null, version: ver, notes: [], noDebug: debug } };
      }
      return { ok: false, reason: `there is no Ubuntu chiseled ${flavour} image we can vouch for; use --provider google or chainguard` };
    }
    case 'scratch': {
      if (flavour === 'static') return { ok: true, base: { flavour, ref: 'scratch', entrypoint: null, notes: ['empty: no CA certificates, no /etc/passwd, no /tmp'], noDebug: debug } };
      return { ok: false, reason: `scratch is empty: a ${flavour} app needs ${flavour === 'base' || flavour === 'cc' ? 'a C library' : 'a language runtime'}; use --provider google, or link statically` };
    }
  }
  return { ok: false, reason: `unknown provider ${provider}` };
}

function nearest(want: string | undefined, have: string[], dflt: string, what: string): { v: string; note?: string } {
  if (want && have.includes(want)) return { v: want };
  if (!want) return { v: dflt, note: `${what} version not stated in the Dockerfile; ${dflt} chosen` };
  const n = Number(want);
  const higher = have.find((h) => Number(h) >= n);
  const v = higher ?? have[have.length - 1] ?? dflt;
  return { v, note: `${what} ${want} has no distroless image from this provider; ${v} chosen` };
}

/** True when the image reference names a distroless-style runtime base we know (any provider, or the prefix). */
export function isDistrolessRef(ref: string, basePrefix?: string): boolean {
  if (ref === 'scratch') return true;
  if (basePrefix && ref.startsWith(basePrefix.replace(/\/+$/, '') + '/')) return true;
  const { name } = splitImage(ref);
  return name.startsWith(GOOGLE + '/') || name.startsWith(CHAINGUARD + '/') || name === UBI_MICRO || (name.startsWith(MS_DOTNET + '/') && /chiseled/.test(ref)) || /^ubuntu\/(python|jre|dotnet-[a-z]+|chiseled-[a-z]+)$/.test(name);
}

/** The flavour of a known distroless reference, for re-reading converted files. */
export function flavourOfRef(ref: string): Flavour | null {
  const { name } = splitImage(ref);
  const last = name.split('/').pop() ?? '';
  if (ref === 'scratch' || /^static/.test(last)) return 'static';
  if (/^nodejs|^node$/.test(last)) return 'nodejs';
  if (/^python/.test(last)) return 'python3';
  if (/^java|^jre$/.test(last)) return 'java';
  if (/^aspnet/.test(last)) return 'aspnet';
  if (/^dotnet-runtime$|^runtime$/.test(last)) return 'dotnet';
  if (/^cc|^glibc-dynamic|^runtime-deps/.test(last)) return 'cc';
  if (/^base|^ubi-micro/.test(last)) return 'base';
  return null;
}

/** The ENTRYPOINT and interpreter of a known distroless reference (for re-reading converted files). */
export function knownBaseOfRef(ref: string, basePrefix?: string): { entrypoint: string[] | null; interpreter?: string } {
  const fl = flavourOfRef(ref);
  const { name } = splitImage(ref);
  const chainguard = name.startsWith(CHAINGUARD + '/');
  const google = name.startsWith(GOOGLE + '/') || (!!basePrefix && ref.startsWith(basePrefix.replace(/\/+$/, '') + '/'));
  if (fl === 'nodejs') return chainguard ? { entrypoint: ['/usr/bin/node'], interpreter: '/usr/bin/node' } : google ? { entrypoint: ['/nodejs/bin/node'], interpreter: '/nodejs/bin/node' } : { entrypoint: null };
  if (fl === 'python3') {
    if (chainguard) return { entrypoint: ['/usr/bin/python'], interpreter: '/usr/bin/python' };
    // Google's python3 images start /usr/bin/python3.X of their Debian release; local bases /usr/bin/python3.
    const deb = /python3-debian(\d+)$/.exec(name)?.[1];
    const py = deb ? `/usr/bin/python${({ '11': '3.9', '12': '3.11', '13': '3.13' } as Record<string, string>)[deb] ?? '3'}` : '/usr/bin/python3';
    return google ? { entrypoint: [py], interpreter: py } : { entrypoint: null, interpreter: '/usr/bin/python3' };
  }
  if (fl === 'java') return chainguard ? { entrypoint: ['/usr/bin/java'], interpreter: '/usr/bin/java' } : google ? { entrypoint: ['/usr/bin/java', '-jar'], interpreter: '/usr/bin/java' } : { entrypoint: null, interpreter: '/usr/bin/java' };
  return { entrypoint: null };
}
