/**
 * Python distributions: `*.dist-info/METADATA` (wheels, pip) and `*.egg-info/PKG-INFO` or a
 * bare `*.egg-info` file (setuptools, distutils). The core-metadata format is RFC 822 headers;
 * only the header block before the first blank line is read.
 */
import { purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';

/** PEP 503 normalized name, as used in pypi purls. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Header fields of a core-metadata file; repeated fields (Classifier) become arrays. */
export function parseCoreMetadata(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      const vs = out.get(last)!;
      vs[vs.length - 1] += '\n' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).toLowerCase();
    const vs = out.get(last) ?? [];
    vs.push(line.slice(colon + 1).trim());
    out.set(last, vs);
  }
  return out;
}

/** The distribution a METADATA / PKG-INFO file describes. */
export function parsePythonMetadata(text: string, path: string, ctx: CatalogContext): Package[] {
  const f = parseCoreMetadata(text);
  const name = f.get('name')?.[0];
  const version = f.get('version')?.[0];
  if (!name || !version) {
    ctx.warn(`${path}: Python metadata without Name or Version`);
    return [];
  }
  let licenses: string[] | undefined;
  const expr = f.get('license-expression')?.[0];
  const lic = f.get('license')?.[0];
  if (expr) licenses = [expr];
  else if (lic && lic !== 'UNKNOWN' && !lic.includes('\n') && lic.length <= 100) licenses = [lic];
  else {
    const cls = (f.get('classifier') ?? []).filter((c) => c.startsWith('License ::')).map((c) => c.split('::').pop()!.trim());
    if (cls.length) licenses = cls;
  }
  return [
    {
      name,
      version,
      type: 'pypi',
      purl: purl('pypi', undefined, normalizePypiName(name), version),
      ...(licenses ? { licenses } : {}),
      locations: [path],
      cataloger: 'python',
    },
  ];
}

export const pythonCataloger: Cataloger = {
  name: 'python',
  maxSize: 8 * 1024 * 1024,
  wants: (path) => /\.dist-info\/METADATA$/.test(path) || /\.egg-info\/PKG-INFO$/.test(path) || /\.egg-info$/.test(path),
  parse: (path, content, ctx) => parsePythonMetadata(content.toString('utf8'), path, ctx),
};
