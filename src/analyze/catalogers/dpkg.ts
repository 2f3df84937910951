/**
 * Debian packages: `/var/lib/dpkg/status` (stanzas of packages whose files are installed; see
 * `present`)
 * and distroless `/var/lib/dpkg/status.d/<name>` files (one stanza each, all installed; the
 * `*.md5sums` files beside them are not stanzas). Uses the project's deb822 parser. Licenses come
 * from the machine-readable (DEP-5) `/usr/share/doc/<package>/copyright` files where present.
 */
import { field, parseControl } from '../../debian/control.ts';
import { distroQualifier, purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';

const STATUS = '/var/lib/dpkg/status';
const STATUS_D = '/var/lib/dpkg/status.d/';
const DOC = /^\/usr\/share\/doc\/([^/]+)\/copyright$/;

/**
 * The source package of a stanza. `Source: name (version)`: the version defaults to the binary's;
 * no `Source:` field means the package is its own source, as `dpkg-query -f '${source:Package}'`
 * answers.
 */
function source(value: string | undefined, name: string, version: string): { sourceName: string; sourceVersion: string } {
  const m = value ? /^(\S+)(?:\s*\(([^)]+)\))?/.exec(value.trim()) : null;
  if (!m) return { sourceName: name, sourceVersion: version };
  return { sourceName: m[1]!, sourceVersion: m[2]?.trim() ?? version };
}

/**
 * The purl `upstream` qualifier (Syft's form): the source name when only the name differs,
 * `name@version` when the version differs too; none when the package is its own source.
 */
function upstream(name: string, version: string, src: { sourceName: string; sourceVersion: string }): string | undefined {
  if (src.sourceVersion !== version) return `${src.sourceName}@${src.sourceVersion}`;
  return src.sourceName !== name ? src.sourceName : undefined;
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

/**
 * Packages from the text of a dpkg status file; `distroless` files hold installed stanzas only.
 * Without os-release the distribution is unknown (an Ubuntu image also has /etc/debian_version),
 * so the purls then name no vendor and no distro rather than guess `debian`.
 */
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
  for (const s of stanzas) {
    const name = field(s, 'Package');
    const version = field(s, 'Version');
    if (!name || !version) continue;
    const status = field(s, 'Status');
    if (status !== undefined ? !present(status) : !distroless) continue;
    const arch = field(s, 'Architecture');
    const src = source(field(s, 'Source'), name, version);
    out.push({
      name,
      version,
      type: 'deb',
      purl: purl('deb', distro?.id, name, version, { arch, distro: distroQualifier(distro), upstream: upstream(name, version, src) }),
      ...(arch ? { arch } : {}),
      ...src,
      locations: [path],
      cataloger: 'dpkg',
    });
  }
  if (out.length && !distro) ctx.warn(`${path}: no os-release, so the distribution is unknown; the deb purls name no distro`);
  return out;
}

/** Debian short names (copyright-format 1.0, § License specification) that differ from SPDX ids. */
const DEBIAN_LICENSE: Record<string, string> = {
  'GPL-1': 'GPL-1.0-only', 'GPL-1+': 'GPL-1.0-or-later', 'GPL-2': 'GPL-2.0-only', 'GPL-2+': 'GPL-2.0-or-later',
  'GPL-3': 'GPL-3.0-only', 'GPL-3+': 'GPL-3.0-or-later', 'LGPL-2': 'LGPL-2.0-only', 'LGPL-2+': 'LGPL-2.0-or-later',
  'LGPL-2.1': 'LGPL-2.1-only', 'LGPL-2.1+': 'LGPL-2.1-or-later', 'LGPL-3': 'LGPL-3.0-only', 'LGPL-3+': 'LGPL-3.0-or-later',
  'AGPL-3': 'AGPL-3.0-only', 'AGPL-3+': 'AGPL-3.0-or-later', 'GFDL-1.2+': 'GFDL-1.2-or-later', 'GFDL-1.3+': 'GFDL-1.3-or-later',
  Expat: 'MIT', 'BSD-2-clause': 'BSD-2-Clause', 'BSD-3-clause': 'BSD-3-Clause', 'BSD-4-clause': 'BSD-4-Clause',
  'Apache-2': 'Apache-2.0', 'Apache-2.0': 'Apache-2.0', 'MPL-2.0': 'MPL-2.0', Artistic: 'Artistic-1.0-Perl',
};

/** One DEP-5 license short name as an SPDX id where the mapping is known, else as written. */
function spdxOfDebian(name: string): string {
  return DEBIAN_LICENSE[name] ?? name;
}

/**
 * The licenses a machine-readable Debian copyright file declares: the first line of every
 * `License:` field of its header and Files paragraphs (a standalone License paragraph only holds
 * a text), `or` alternatives kept as one SPDX `OR` expression. Undefined for free-form files.
 */
export function parseDebianCopyright(text: string): string[] | undefined {
  if (!/^Format:\s*\S*copyright-format/im.test(text.slice(0, 4096))) return undefined;
  let paragraphs;
  try {
    paragraphs = parseControl(text, 'copyright');
  } catch {
    return undefined;
  }
  const out = new Set<string>();
  for (const p of paragraphs) {
    const lic = field(p, 'License');
    if (lic === undefined || (field(p, 'Files') === undefined && field(p, 'Format') === undefined)) continue;
    const first = lic.split('\n')[0]!.trim();
    if (!first) continue;
    const alts = first.split(/\s+or\s+/i).map((a) => a.split(/\s+and\s+/i).map((x) => spdxOfDebian(x.trim().replace(/,$/, ''))).join(' AND '));
    out.add(alts.length > 1 ? alts.map((a) => (a.includes(' AND ') ? `(${a})` : a)).join(' OR ') : alts[0]!);
  }
  return out.size ? [...out].sort() : undefined;
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
  companion: (path) => DOC.test(path),
  complete(packages, companions) {
    return packages.map((p) => {
      const text = companions.get(`/usr/share/doc/${p.name}/copyright`);
      const licenses = text ? parseDebianCopyright(text.toString('utf8')) : undefined;
      return licenses && !p.licenses ? { ...p, licenses } : p;
    });
  },
};
