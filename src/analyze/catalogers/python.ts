/**
 * Python distributions: `*.dist-info/METADATA` (wheels, pip) and `*.egg-info/PKG-INFO` or a
 * bare `*.egg-info` file (setuptools, distutils). The core-metadata format is RFC 822 headers;
 * only the header block before the first blank line is read.
 */
import { anyOfLicenses, purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';

/** PEP 503 normalized name, as used in pypi purls. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * Trove license classifiers (the last `::` part) whose SPDX id is unambiguous. Hand-written: the
 * classifier list is not shipped with any JS package; names not listed are kept as written.
 */
const CLASSIFIER_SPDX: Record<string, string> = {
  'MIT License': 'MIT',
  'MIT No Attribution License (MIT-0)': 'MIT-0',
  'Apache Software License': 'Apache-2.0',
  'ISC License (ISCL)': 'ISC',
  'Python Software Foundation License': 'PSF-2.0',
  'The Unlicense (Unlicense)': 'Unlicense',
  'Mozilla Public License 2.0 (MPL 2.0)': 'MPL-2.0',
  'Eclipse Public License 2.0 (EPL-2.0)': 'EPL-2.0',
  'Boost Software License 1.0 (BSL-1.0)': 'BSL-1.0',
  'zlib/libpng License': 'Zlib',
  'CC0 1.0 Universal (CC0 1.0) Public Domain Dedication': 'CC0-1.0',
  'GNU General Public License v2 (GPLv2)': 'GPL-2.0-only',
  'GNU General Public License v2 or later (GPLv2+)': 'GPL-2.0-or-later',
  'GNU General Public License v3 (GPLv3)': 'GPL-3.0-only',
  'GNU General Public License v3 or later (GPLv3+)': 'GPL-3.0-or-later',
  'GNU Lesser General Public License v2 (LGPLv2)': 'LGPL-2.0-only',
  'GNU Lesser General Public License v2 or later (LGPLv2+)': 'LGPL-2.0-or-later',
  'GNU Lesser General Public License v3 (LGPLv3)': 'LGPL-3.0-only',
  'GNU Lesser General Public License v3 or later (LGPLv3+)': 'LGPL-3.0-or-later',
  'GNU Affero General Public License v3': 'AGPL-3.0-only',
  'GNU Affero General Public License v3 or later (AGPLv3+)': 'AGPL-3.0-or-later',
};

/**
 * Licenses from `License :: …` classifiers: `License :: OSI Approved :: MIT License` -> `MIT`;
 * the bare category `License :: OSI Approved` names no license and is skipped.
 */
export function classifierLicenses(classifiers: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of classifiers) {
    const parts = c.split('::').map((x) => x.trim());
    if (parts[0] !== 'License' || parts.length < 2) continue;
    if (parts.length === 2 && parts[1] === 'OSI Approved') continue;
    const last = parts[parts.length - 1]!;
    out.push(CLASSIFIER_SPDX[last] ?? last);
  }
  return out;
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
  else if (lic && !/^(UNKNOWN|none|)$/i.test(lic) && !lic.includes('\n') && lic.length <= 100) licenses = [lic];
  else {
    // Several license classifiers are the licenses a project is offered under: alternatives.
    const cls = anyOfLicenses(classifierLicenses(f.get('classifier') ?? []));
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
