/**
 * The system's apt sources: deb822 `/etc/apt/sources.list.d/*.sources` and one-line
 * `/etc/apt/sources.list` + `sources.list.d/*.list`, and the choice of which repositories a build
 * reads (main archive suite, its -updates, and the security archive), with flag overrides.
 * Mirrors are never hard-coded: they come from these files or from `--mirror`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { field, parseControl } from './control.ts';

/** One apt source entry (one paragraph of a .sources file or one line of a .list file). */
export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** Keyring path from Signed-By (an inline key block is reported as undefined). */
  signedBy?: string;
  architectures?: string[];
  enabled: boolean;
  /** File it came from, for error messages. */
  file: string;
}

/** A repository a build reads: one URI, one suite, its components. */
export interface Repository {
  /** Archive root without a trailing slash, e.g. `http://mirror/debian`. */
  uri: string;
  suite: string;
  components: string[];
  /** Keyring that must have signed InRelease (undefined: the default Debian keyring). */
  signedBy?: string;
  role: 'main' | 'updates' | 'security';
}

/** Parses a deb822 `.sources` file. */
export function parseDeb822Sources(text: string, file = 'sources'): AptSource[] {
  let paragraphs;
  try {
    paragraphs = parseControl(text, file);
  } catch (e) {
    throw new DistillError(file, e instanceof Error ? e.message : String(e), { code: 'E_INPUT' });
  }
  return paragraphs.map((p) => {
    const words = (n: string) => (field(p, n) ?? '').split(/\s+/).filter(Boolean);
    const signed = field(p, 'Signed-By')?.trim();
    const src: AptSource = {
      types: words('Types'),
      uris: words('URIs').map(trimSlash),
      suites: words('Suites'),
      components: words('Components'),
      enabled: !/^(no|false|0)$/i.test(field(p, 'Enabled')?.trim() ?? 'yes'),
      file,
    };
    // A Signed-By value may be a path or an embedded ASCII-armored key; only paths are kept.
    if (signed && !signed.includes('\n') && signed.startsWith('/')) src.signedBy = signed;
    const arch = words('Architectures');
    if (arch.length) src.architectures = arch;
    return src;
  });
}

/** Parses a one-line-style `sources.list` file: `deb [opt=val ...] URI SUITE [COMPONENT...]`. */
export function parseOneLineSources(text: string, file = 'sources.list'): AptSource[] {
  const out: AptSource[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) throw new DistillError(`${file}:${i + 1}`, `cannot parse apt source line ${JSON.stringify(line.slice(0, 80))}`, { code: 'E_INPUT' });
    const opts: Record<string, string> = {};
    for (const kv of (m[2] ?? '').trim().split(/\s+/).filter(Boolean)) {
      const eq = kv.indexOf('=');
      if (eq > 0) opts[kv.slice(0, eq).toLowerCase()] = kv.slice(eq + 1);
    }
    const src: AptSource = {
      types: [m[1]!],
      uris: [trimSlash(m[3]!)],
      suites: [m[4]!],
      components: m[5]!.split(/\s+/).filter(Boolean),
      enabled: true,
      file,
    };
    if (opts['signed-by']) src.signedBy = opts['signed-by'];
    if (opts.arch) src.architectures = opts.arch.split(',');
    out.push(src);
  });
  return out;
}

/**
 * Reads every apt source under `root` (default `/`): sources.list, *.list and *.sources files.
 * `DISTILL_APT_DIR` names another directory to read instead of /etc/apt (as apt's Dir::Etc does),
 * e.g. sources that name a local mirror of the system's.
 */
export function readAptSources(root = '/'): AptSource[] {
  const etc = root === '/' && process.env.DISTILL_APT_DIR ? process.env.DISTILL_APT_DIR : join(root, 'etc/apt');
  const out: AptSource[] = [];
  const main = join(etc, 'sources.list');
  if (existsSync(main)) out.push(...parseOneLineSources(readFileSync(main, 'utf8'), main));
  const dir = join(etc, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (name.endsWith('.list')) out.push(...parseOneLineSources(readFileSync(p, 'utf8'), p));
      else if (name.endsWith('.sources')) out.push(...parseDeb822Sources(readFileSync(p, 'utf8'), p));
    }
  }
  return out;
}

/** Flags that override or narrow what the apt sources say. */
export interface RepositoryOptions {
  /** Archive root to use instead of the system's (`--mirror`). */
  mirror?: string;
  /** Suite (codename) to use (`--suite`); default: the system's main suite. */
  suite?: string;
  /** Security archive root (`--security-mirror`); `false` reads no security archive. */
  securityMirror?: string | false;
  /** Read `SUITE-updates` when the sources list it (default true). */
  updates?: boolean;
  /** Component (default `main`). */
  component?: string;
  /** Apt sources to choose from (default: `readAptSources()`). */
  sources?: AptSource[];
}

const ROLE_RE = /-(security|updates|backports|proposed-updates)$|\/updates$/;

/**
 * Picks the repositories a build reads: the main Debian suite, its `-updates` when listed, and the
 * `-security` suite, from the apt sources or the overrides. Throws a DistillError when there is
 * no usable main repository.
 */
export function selectRepositories(opts: RepositoryOptions = {}): Repository[] {
  const component = opts.component ?? 'main';
  const sources = (opts.sources ?? readAptSources()).filter(
    (s) => s.enabled && s.types.includes('deb') && s.components.includes(component) && s.uris.some((u) => /^(https?|file):/.test(u)),
  );
  const base = sources.find((s) => s.suites.some((x) => !ROLE_RE.test(x) && (!opts.suite || x === opts.suite)));
  const suite = opts.suite ?? base?.suites.find((x) => !ROLE_RE.test(x));
  const uri = opts.mirror ? trimSlash(opts.mirror) : base?.uris[0];
  if (!uri || !suite) {
    throw new DistillError(
      opts.mirror ?? '/etc/apt/sources.list',
      opts.mirror ? 'give --suite with --mirror (no apt source names a suite)' : `no apt source lists a Debian suite with component ${component}; pass --mirror URL --suite SUITE`,
      { code: 'E_USAGE' },
    );
  }
  const repos: Repository[] = [{ uri, suite, components: [component], role: 'main', ...(!opts.mirror && base?.signedBy ? { signedBy: base.signedBy } : {}) }];
  if (opts.updates !== false) {
    const upd = sources.find((s) => s.suites.includes(`${suite}-updates`));
    if (upd) {
      // With --mirror, -updates lives on the same mirror as the main suite.
      repos.push({ uri: opts.mirror ? uri : upd.uris[0]!, suite: `${suite}-updates`, components: [component], role: 'updates', ...(!opts.mirror && upd.signedBy ? { signedBy: upd.signedBy } : {}) });
    }
  }
  if (opts.securityMirror !== false) {
    if (typeof opts.securityMirror === 'string') {
      repos.push({ uri: trimSlash(opts.securityMirror), suite: `${suite}-security`, components: [component], role: 'security' });
    } else {
      const sec = sources.find((s) => s.suites.includes(`${suite}-security`));
      if (sec) repos.push({ uri: sec.uris[0]!, suite: `${suite}-security`, components: [component], role: 'security', ...(sec.signedBy ? { signedBy: sec.signedBy } : {}) });
    }
  }
  return repos;
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
