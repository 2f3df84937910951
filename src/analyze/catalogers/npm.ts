/**
 * npm packages: every `package.json` that names a package and a version: those below
 * `node_modules` directories (an app's dependencies, Node images' global
 * `/usr/local/lib/node_modules`) and the applications' own (as Trivy and Syft list them too).
 * Files without both (`"type": "module"` markers in sub-folders) are not package roots.
 */
import { anyOfLicenses, purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';

/**
 * Licenses as npm has written them over the years: a string, `{type}`, or a `licenses` array
 * (alternatives the user may choose from, so one `OR` expression).
 */
function licenses(pkg: Record<string, unknown>): string[] | undefined {
  const one = (l: unknown): string | undefined =>
    typeof l === 'string' ? l : l && typeof l === 'object' && typeof (l as { type?: unknown }).type === 'string' ? (l as { type: string }).type : undefined;
  const out: string[] = [];
  const l = one(pkg.license);
  if (l) out.push(l);
  if (Array.isArray(pkg.licenses)) for (const x of pkg.licenses) {
    const v = one(x);
    if (v) out.push(v);
  }
  return out.length ? anyOfLicenses(out) : undefined;
}

/** The package a node_modules package.json describes, if it is a package root. */
export function parsePackageJson(text: string, path: string, ctx: CatalogContext): Package[] {
  let pkg: unknown;
  try {
    pkg = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    ctx.warn(`${path}: not valid JSON`);
    return [];
  }
  if (!pkg || typeof pkg !== 'object' || Array.isArray(pkg)) return [];
  const p = pkg as Record<string, unknown>;
  if (typeof p.name !== 'string' || typeof p.version !== 'string' || !p.name || !p.version) return [];
  const name = p.name;
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  const lic = licenses(p);
  return [
    {
      name,
      version: p.version,
      type: 'npm',
      purl: slash > 0 ? purl('npm', name.slice(0, slash), name.slice(slash + 1), p.version) : purl('npm', undefined, name, p.version),
      ...(lic ? { licenses: lic } : {}),
      locations: [path],
      cataloger: 'npm',
    },
  ];
}

export const npmCataloger: Cataloger = {
  name: 'npm',
  maxSize: 4 * 1024 * 1024,
  wants: (path) => path.endsWith('/package.json'),
  parse: (path, content, ctx) => parsePackageJson(content.toString('utf8'), path, ctx),
};
