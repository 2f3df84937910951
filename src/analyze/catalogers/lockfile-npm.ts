/**
 * npm dependencies declared by JavaScript lockfiles: `package-lock.json` / `npm-shrinkwrap.json`
 * (lockfileVersion 1's nested `dependencies`, 2 and 3's flat `packages` with workspaces and
 * links), `yarn.lock` (yarn 1's own format, yarn 2+ "berry" YAML) and `pnpm-lock.yaml` (v5, v6
 * and v9 keys). Entries are listed as declared; the SBOM drops those also found installed.
 * Aliases (`npm:real@1`) are listed under the real package's name; the project's own packages
 * (the root, workspaces, links) are not dependencies and are left to the package.json cataloger.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';
import { appLockfile, baseName, declared, devOnly } from './lockfile.ts';

const NAME = 'npm-lockfile';

/** The npm purl of a (possibly scoped) package name. */
export function npmPurl(name: string, version: string): string {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  return slash > 0 ? purl('npm', name.slice(0, slash), name.slice(slash + 1), version) : purl('npm', undefined, name, version);
}

/** `name@range` split at the version's `@` (a scope's leading `@` is part of the name). */
function splitSpec(spec: string): [string, string] {
  const at = spec.indexOf('@', 1);
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, ''];
}

function pkg(name: string, version: string, path: string, dev: boolean): Package {
  return declared('npm', name, version, npmPurl(name, version), path, NAME, dev);
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
/** YAML read with every scalar a string: `version: 4.0` stays `4.0`, not the number 4. */
// Loaded on the first YAML lockfile: yaml is many modules, and most images hold no yarn berry or pnpm lock.
const yaml = (text: string): Json => obj((createRequire(import.meta.url)('yaml') as typeof Yaml).parse(text, { schema: 'failsafe' })) ?? {};

/** A v1 git dependency's `version` is its URL; the commit after `#` is what was locked. */
function v1Version(v: string): string {
  const hash = /^(?:git\+|git:|github:|https?:).*#(.+)$/.exec(v);
  return hash ? hash[1]! : v;
}

/** package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2 or 3. */
export function parsePackageLock(text: string, path: string, ctx: CatalogContext): Package[] {
  let lock: Json | undefined;
  try {
    lock = obj(JSON.parse(text.replace(/^\uFEFF/, '')));
  } catch {
    ctx.warn(`${path}: not valid JSON`);
    return [];
  }
  if (!lock) return [];
  const out: Package[] = [];
  const packages = obj(lock.packages);
  if (packages) {
    for (const [key, raw] of Object.entries(packages)) {
      const e = obj(raw);
      // "" is the project, "packages/x" a workspace; links point at workspaces.
      if (!e || !key.includes('node_modules/') || e.link === true) continue;
      const name = str(e.name) ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const version = str(e.version);
      if (version) out.push(pkg(name, version, path, e.dev === true));
    }
    return out;
  }
  // v1: nested `dependencies`, each with its own nested copies.
  const walk = (deps: unknown): void => {
    for (const [key, raw] of Object.entries(obj(deps) ?? {})) {
      const e = obj(raw);
      const version = str(e?.version);
      if (!e || !version || version.startsWith('file:')) continue;
      const alias = /^npm:((?:@[^/@]+\/)?[^@]+)@(.+)$/.exec(version);
      out.push(alias ? pkg(alias[1]!, alias[2]!, path, e.dev === true) : pkg(key, v1Version(version), path, e.dev === true));
      walk(e.dependencies);
    }
  };
  walk(lock.dependencies);
  return out;
}

/** yarn.lock of yarn 1 (`# yarn lockfile v1`, its own indented format). */
function parseYarnV1(text: string, path: string): Package[] {
  const out: Package[] = [];
  let specs: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line || line.startsWith('#')) continue;
    if (!line.startsWith(' ')) {
      specs = line.replace(/:$/, '').split(/,\s*/).map((s) => s.trim().replace(/^"|"$/g, ''));
      continue;
    }
    const m = /^ {2}version:? "?([^"\s]+)"?$/.exec(line);
    if (!m || !specs?.length) continue;
    const [key, range] = splitSpec(specs[0]!);
    // `"string-width-cjs@npm:string-width@^4.2.0"` is an alias of string-width.
    const alias = /^npm:((?:@[^/@]+\/)?[^@]+)@/.exec(range);
    out.push(pkg(alias ? alias[1]! : key, m[1]!, path, false));
    specs = undefined;
  }
  return out;
}

/** yarn.lock of yarn 2+ (YAML; `resolution: name@npm:1.2.3`; workspaces and patches skipped). */
function parseYarnBerry(text: string, path: string): Package[] {
  const doc = yaml(text);
  const out: Package[] = [];
  for (const [key, raw] of Object.entries(doc)) {
    const e = obj(raw);
    const resolution = str(e?.resolution);
    if (key === '__metadata' || !e || !resolution) continue;
    const [name, ref] = splitSpec(resolution);
    if (!/^(npm|git|https?|github):/.test(ref) && !/^[a-z+]+:\/\//.test(ref)) continue; // workspace:, patch:, link:, portal:, file:
    const version = str(e.version) ?? ref.replace(/^npm:/, '');
    out.push(pkg(name, version, path, false));
  }
  return out;
}

/** yarn.lock, either generation. */
export function parseYarnLock(text: string, path: string, ctx: CatalogContext): Package[] {
  try {
    return /^__metadata:/m.test(text) ? parseYarnBerry(text, path) : parseYarnV1(text, path);
  } catch (e) {
    ctx.warn(`${path}: unreadable yarn.lock (${(e as Error).message})`);
    return [];
  }
}

/**
 * A pnpm `packages` key as name and version: `/lodash/4.17.21` (v5), `/lodash@4.17.21` (v6),
 * `lodash@4.17.21` (v9), peer suffixes `(react@18.2.0)` and `_react@18.2.0` removed.
 */
export function pnpmKey(key: string): [string, string] | undefined {
  const k = key.replace(/^\//, '').replace(/\(.*$/, '');
  const at = k.indexOf('@', 1);
  if (at > 0 && !k.slice(0, at).includes('/', k.startsWith('@') ? k.indexOf('/') + 1 : 0)) return [k.slice(0, at), k.slice(at + 1)];
  const parts = k.split('/');
  if (parts.length < 2) return undefined;
  const version = parts.pop()!.replace(/_.*$/, '');
  return [parts.join('/'), version];
}

/** pnpm-lock.yaml, lockfileVersion 5.x, 6.x or 9.x. */
export function parsePnpmLock(text: string, path: string, ctx: CatalogContext): Package[] {
  let doc: Json;
  try {
    doc = yaml(text);
  } catch (e) {
    ctx.warn(`${path}: unreadable pnpm-lock.yaml (${(e as Error).message})`);
    return [];
  }
  const packages = obj(doc.packages) ?? {};
  const snapshots = obj(doc.snapshots);
  // v9 has no `dev` flag: dev-only is what only the importers' devDependencies reach.
  let devSet: Set<string> | undefined;
  if (snapshots) {
    const prod: string[] = [];
    const dev: string[] = [];
    const ref = (name: string, v: unknown): string => `${name}@${String(obj(v)?.version ?? v)}`;
    for (const imp of Object.values(obj(doc.importers) ?? {})) {
      const i = obj(imp) ?? {};
      for (const [n, v] of Object.entries({ ...obj(i.dependencies), ...obj(i.optionalDependencies) })) prod.push(ref(n, v));
      for (const [n, v] of Object.entries(obj(i.devDependencies) ?? {})) dev.push(ref(n, v));
    }
    const edges = (node: string): string[] => {
      const s = obj(snapshots[node]) ?? {};
      return Object.entries({ ...obj(s.dependencies), ...obj(s.optionalDependencies) }).map(([n, v]) => (String(v).includes('@', 1) && !/^\d/.test(String(v)) ? String(v) : `${n}@${String(v)}`));
    };
    devSet = new Set([...devOnly(prod, dev, edges)].map((n) => n.replace(/\(.*$/, '')));
  }
  const out: Package[] = [];
  for (const [key, raw] of Object.entries(packages)) {
    const e = obj(raw) ?? {};
    const nv = str(e.name) && str(e.version) ? ([str(e.name)!, str(e.version)!] as [string, string]) : pnpmKey(key);
    if (!nv) continue;
    const dev = devSet ? devSet.has(key.replace(/\(.*$/, '')) : e.dev === 'true';
    out.push(pkg(nv[0], nv[1], path, dev));
  }
  return out;
}

const PARSERS: Record<string, (text: string, path: string, ctx: CatalogContext) => Package[]> = {
  'package-lock.json': parsePackageLock,
  'npm-shrinkwrap.json': parsePackageLock,
  'yarn.lock': parseYarnLock,
  'pnpm-lock.yaml': parsePnpmLock,
};

export const npmLockfileCataloger: Cataloger = {
  name: NAME,
  maxSize: 64 * 1024 * 1024,
  wants: (path) => baseName(path) in PARSERS && appLockfile(path),
  parse: (path, content, ctx) => PARSERS[baseName(path)]!(content.toString('utf8'), path, ctx),
};
