/**
 * Python dependencies declared by lockfiles: `poetry.lock` (TOML; `category = "dev"` before
 * Poetry 1.5), `Pipfile.lock` (JSON; `develop` is dev), `uv.lock` (TOML; dev-only is what only the
 * projects' `dev-dependencies` reach) and `requirements*.txt` lines pinned with `==` or `===`
 * (files named for dev or test are dev). Listed as declared; the SBOM drops those found installed.
 */
import { purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';
import { appLockfile, baseName, declared, devOnly } from './lockfile.ts';
import { normalizePypiName } from './python.ts';
import { parseToml, type TomlTable, type TomlValue } from './toml.ts';

const NAME = 'python-lockfile';

function pkg(name: string, version: string, path: string, dev: boolean): Package {
  return declared('pypi', name, version, purl('pypi', undefined, normalizePypiName(name), version), path, NAME, dev);
}

const table = (v: TomlValue | undefined): TomlTable | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v : undefined);
const tables = (v: TomlValue | undefined): TomlTable[] => (Array.isArray(v) ? v.filter((x): x is TomlTable => !!table(x)) : []);
const text = (v: TomlValue | undefined): string | undefined => (typeof v === 'string' && v ? v : undefined);

function toml(content: string, path: string, ctx: CatalogContext): TomlTable | undefined {
  try {
    return parseToml(content);
  } catch (e) {
    ctx.warn(`${path}: unreadable TOML (${(e as Error).message})`);
    return undefined;
  }
}

/** poetry.lock: every `[[package]]`; `category = "dev"` (Poetry < 1.5) marks dev. */
export function parsePoetryLock(content: string, path: string, ctx: CatalogContext): Package[] {
  const doc = toml(content, path, ctx);
  if (!doc) return [];
  return tables(doc.package).flatMap((p) => {
    const name = text(p.name);
    const version = text(p.version);
    return name && version ? [pkg(name, version, path, p.category === 'dev')] : [];
  });
}

/**
 * uv.lock: every `[[package]]` but the projects themselves (`source = { editable | virtual }`);
 * dev-only is what only the projects' `dev-dependencies` groups reach.
 */
export function parseUvLock(content: string, path: string, ctx: CatalogContext): Package[] {
  const doc = toml(content, path, ctx);
  if (!doc) return [];
  const all = tables(doc.package);
  const isProject = (p: TomlTable) => !!table(p.source) && ('editable' in table(p.source)! || 'virtual' in table(p.source)!);
  const byName = new Map(all.map((p) => [normalizePypiName(text(p.name) ?? ''), p]));
  const names = (v: TomlValue | undefined): string[] => tables(v).map((d) => normalizePypiName(text(d.name) ?? ''));
  const groups = (v: TomlValue | undefined): string[] => Object.values(table(v) ?? {}).flatMap(names);
  const prod: string[] = [];
  const dev: string[] = [];
  for (const p of all.filter(isProject)) {
    prod.push(...names(p.dependencies), ...groups(p['optional-dependencies']));
    dev.push(...groups(p['dev-dependencies']));
  }
  const edges = (n: string): string[] => {
    const p = byName.get(n);
    return p ? [...names(p.dependencies), ...groups(p['optional-dependencies'])] : [];
  };
  const devSet = devOnly(prod, dev, edges);
  return all.flatMap((p) => {
    const name = text(p.name);
    const version = text(p.version);
    if (!name || !version || isProject(p)) return [];
    return [pkg(name, version, path, devSet.has(normalizePypiName(name)))];
  });
}

/** Pipfile.lock: `default` and `develop` (dev) entries with an `==` version. */
export function parsePipfileLock(content: string, path: string, ctx: CatalogContext): Package[] {
  let doc: Record<string, Record<string, { version?: unknown }>>;
  try {
    doc = JSON.parse(content.replace(/^\uFEFF/, '')) as typeof doc;
  } catch {
    ctx.warn(`${path}: not valid JSON`);
    return [];
  }
  const out: Package[] = [];
  for (const [section, dev] of [['default', false], ['develop', true]] as const) {
    for (const [name, e] of Object.entries(doc?.[section] ?? {})) {
      const v = typeof e?.version === 'string' ? /^===?\s*(\S+)$/.exec(e.version)?.[1] : undefined;
      if (v) out.push(pkg(name, v, path, dev));
    }
  }
  return out;
}

/** requirements*.txt: `name==version` and `name[extra]===version` pins; options, ranges, URLs skipped. */
export function parseRequirements(content: string, path: string): Package[] {
  const dev = /(^|[-_.])(dev|test|tests|lint|docs)([-_.]|$)/i.test(baseName(path).replace(/\.txt$/, '')) || /\/(dev|test)[^/]*\.txt$/.test(path);
  const out: Package[] = [];
  // Backslash continuations join a requirement with its `--hash` options.
  for (const raw of content.replace(/\\\r?\n/g, ' ').split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(?:;.*)?(?:\s--hash\S*.*)?$/.exec(line);
    if (m) out.push(pkg(m[1]!, m[2]!, path, dev));
  }
  return out;
}

/** Which parser a file name calls for, if any. */
function parserFor(name: string): ((content: string, path: string, ctx: CatalogContext) => Package[]) | undefined {
  if (name === 'poetry.lock') return parsePoetryLock;
  if (name === 'uv.lock') return parseUvLock;
  if (name === 'Pipfile.lock') return parsePipfileLock;
  if (/^(.*[-_.])?requirements([-_.].*)?\.txt$/.test(name)) return (c, p) => parseRequirements(c, p);
  return undefined;
}

export const pythonLockfileCataloger: Cataloger = {
  name: NAME,
  maxSize: 16 * 1024 * 1024,
  wants: (path) => !!parserFor(baseName(path)) && appLockfile(path),
  parse: (path, content, ctx) => parserFor(baseName(path))!(content.toString('utf8'), path, ctx),
};
