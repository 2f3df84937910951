/**
 * Operating-system detection: `/etc/os-release` (or `/usr/lib/os-release`, its fallback per
 * os-release(5)), else `/etc/lsb-release` (Ubuntu's), `/etc/debian_version` or
 * `/etc/alpine-release`. Files are parsed from bytes
 * so the same code serves directories and image layers.
 */
import type { Distro } from './package.ts';

/** Paths that may identify the distro, most authoritative first. */
export const OS_RELEASE_PATHS = ['/etc/os-release', '/usr/lib/os-release', '/etc/lsb-release', '/etc/debian_version', '/etc/alpine-release'] as const;

/** Parses os-release(5) text: KEY=value lines with optional shell-style quoting. */
export function parseOsReleaseFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    let v = line.slice(eq + 1);
    if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) {
      const q = v[0];
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\([$"`\\])/g, '$1');
    }
    out[key] = v;
  }
  return out;
}

/** Distro from os-release text; undefined when it has no ID. */
export function parseOsRelease(text: string): Distro | undefined {
  const f = parseOsReleaseFields(text);
  if (!f.ID) return undefined;
  const d: Distro = { id: f.ID.toLowerCase() };
  if (f.VERSION_ID) d.versionId = f.VERSION_ID;
  if (f.VERSION_CODENAME) d.codename = f.VERSION_CODENAME;
  if (f.PRETTY_NAME) d.prettyName = f.PRETTY_NAME;
  return d;
}

/**
 * Distro from whichever of OS_RELEASE_PATHS are present (path -> content). os-release wins, then
 * lsb-release's DISTRIB_ID; `/etc/debian_version` says Debian only when it holds a release number
 * (`12.5` -> `12`): `trixie/sid` is also what Ubuntu writes there, so it names no distro.
 */
export function detectDistro(files: ReadonlyMap<string, Buffer | string>): Distro | undefined {
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    const c = files.get(p);
    if (c !== undefined) {
      const d = parseOsRelease(c.toString());
      if (d) return d;
    }
  }
  const lsb = files.get('/etc/lsb-release');
  if (lsb !== undefined) {
    const f = parseOsReleaseFields(lsb.toString());
    if (f.DISTRIB_ID) {
      const d: Distro = { id: f.DISTRIB_ID.toLowerCase() };
      if (f.DISTRIB_RELEASE) d.versionId = f.DISTRIB_RELEASE;
      if (f.DISTRIB_CODENAME) d.codename = f.DISTRIB_CODENAME;
      if (f.DISTRIB_DESCRIPTION) d.prettyName = f.DISTRIB_DESCRIPTION;
      return d;
    }
  }
  const deb = files.get('/etc/debian_version')?.toString().trim();
  const m = deb ? /^(\d+)(?:\.\d+)*$/.exec(deb) : null;
  if (m) return { id: 'debian', versionId: m[1]!, prettyName: `Debian GNU/Linux ${deb}` };
  const alp = files.get('/etc/alpine-release')?.toString().trim();
  if (alp) return { id: 'alpine', versionId: alp, prettyName: `Alpine Linux v${alp}` };
  return undefined;
}
