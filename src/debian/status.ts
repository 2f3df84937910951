/**
 * dpkg status records for distroless images: one `/var/lib/dpkg/status.d/<pkg>` stanza per
 * package (its .deb control fields plus `Status: install ok installed`) and a
 * `/var/lib/dpkg/status.d/<pkg>.md5sums` file list, the layout Google's distroless images use and
 * that Trivy and Syft read. There is no `/var/lib/dpkg/status` and no dpkg in such images.
 */
import { field, formatControl, type ControlFields } from './control.ts';
import type { DebControl } from './deb.ts';

/** Directory of the per-package status files, without a leading slash (as in a layer tar). */
export const STATUS_DIR = 'var/lib/dpkg/status.d';

/** Paths (no leading slash) of a package's status stanza and md5sums list. */
export function statusPaths(pkg: string): { status: string; md5sums: string } {
  return { status: `${STATUS_DIR}/${pkg}`, md5sums: `${STATUS_DIR}/${pkg}.md5sums` };
}

/**
 * The status stanza of an installed package: Package, then `Status: install ok installed`, then
 * the other control fields in their order, then Conffiles (with their md5s) when the .deb has any.
 * Ends with a newline and no blank line.
 */
export function statusStanza(deb: Pick<DebControl, 'control' | 'conffiles' | 'md5sums'>): string {
  const c = deb.control;
  const name = field(c, 'Package');
  if (!name) throw new Error('control has no Package field');
  const out: ControlFields = { Package: name, Status: 'install ok installed' };
  for (const [k, v] of Object.entries(c)) {
    const lk = k.toLowerCase();
    if (lk === 'package' || lk === 'status' || lk === 'conffiles') continue;
    out[k] = v;
  }
  if (deb.conffiles.length) {
    out.Conffiles = deb.conffiles
      .map((p) => `\n ${p} ${deb.md5sums.get(p.replace(/^\/+/, '')) ?? 'newconffile'}`)
      .join('');
  }
  return formatControl(out);
}

/** The md5sums list as dpkg writes it: `<md5>  <path>` per line, paths without a leading slash. */
export function md5sumsText(md5sums: Map<string, string>): string {
  let s = '';
  for (const [path, md5] of md5sums) s += `${md5}  ${path}\n`;
  return s;
}
