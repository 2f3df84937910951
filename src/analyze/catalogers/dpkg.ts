/**
 * Debian packages: `/var/lib/dpkg/status` (stanzas of packages whose files are installed; see
 * `present`)
 * and distroless `/var/lib/dpkg/status.d/<name>` files (one stanza each, all installed; the
 * `*.md5sums` files beside them are not stanzas). Uses the project's deb822 parser.
 */
import { field, parseControl } from '../../debian/control.ts';
import { distroQualifier, purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';

const STATUS = '/var/lib/dpkg/status';
const STATUS_D = '/var/lib/dpkg/status.d/';

/** Splits `Source: name (version)` into its parts; the version defaults to the binary's. */
function source(value: string | undefined, version: string): { sourceName?: string; sourceVersion?: string } {
  if (!value) return {};
  const m = /^(\S+)(?:\s*\(([^)]+)\))?/.exec(value.trim());
  if (!m) return {};
  return { sourceName: m[1]!, sourceVersion: m[2]?.trim() ?? version };
}

/**
 * Whether a Status field (`want flag state`) describes a package whose files are on disk and that
 * is meant to stay: installed, or unpacked/half-configured/awaiting triggers (the files are there,
 * so are their vulnerabilities), wanted as `install` or `hold`. Packages selected for removal
 * (`deinstall`, `purge`) and those reduced to config files are not listed, as Trivy does.
 */
function present(status: string): boolean {
  const [want, , state] = status.trim().split(/\s+/);
  return (want === 'install' || want === 'hold') && ['installed', 'half-configured', 'unpacked', 'triggers-awaited', 'triggers-pending'].includes(state ?? '');
}

/** Packages from the text of a dpkg status file; `distroless` files hold installed stanzas only. */
export function parseDpkgStatus(text: string, path: string, ctx: CatalogContext, distroless = false): Package[] {
  let stanzas;
  try {
    stanzas = parseControl(text, path);
  } catch (e) {
    ctx.warn(`${path}: not a dpkg status file (${(e as Error).message})`);
    return [];
  }
  const out: Package[] = [];
  const distro = ctx.distro;
  const namespace = distro?.id ?? 'debian';
  for (const s of stanzas) {
    const name = field(s, 'Package');
    const version = field(s, 'Version');
    if (!name || !version) continue;
    const status = field(s, 'Status');
    if (status !== undefined ? !present(status) : !distroless) continue;
    const arch = field(s, 'Architecture');
    const src = source(field(s, 'Source'), version);
    out.push({
      name,
      version,
      type: 'deb',
      purl: purl('deb', namespace, name, version, { arch, distro: distroQualifier(distro) }),
      ...(arch ? { arch } : {}),
      ...src,
      locations: [path],
      cataloger: 'dpkg',
    });
  }
  return out;
}

export const dpkgCataloger: Cataloger = {
  name: 'dpkg',
  needsDistro: true,
  wants(path) {
    if (path === STATUS) return true;
    if (path.startsWith(STATUS_D)) {
      const base = path.slice(STATUS_D.length);
      return !base.includes('/') && !base.endsWith('.md5sums') && !base.startsWith('.');
    }
    return false;
  },
  parse(path, content, ctx) {
    return parseDpkgStatus(content.toString('utf8'), path, ctx, path !== STATUS);
  },
};
