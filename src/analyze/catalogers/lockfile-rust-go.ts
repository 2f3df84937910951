/**
 * Rust and Go dependencies an application declares without them being found in a binary:
 * `Cargo.lock` (TOML; crates with a `source`, i.e. from a registry or git, not the workspace's
 * own) and `go.mod` `require` directives (the main module's requirements, `// indirect` ones
 * too; a `replace` with a version reports the replacement, a local-directory one `(devel)`).
 */
import { purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';
import { appLockfile, baseName, declared } from './lockfile.ts';
import { parseToml, type TomlTable } from './toml.ts';

/** Cargo.lock: every `[[package]]` that has a `source`. */
export function parseCargoLock(content: string, path: string, ctx: CatalogContext): Package[] {
  let doc: TomlTable;
  try {
    doc = parseToml(content);
  } catch (e) {
    ctx.warn(`${path}: unreadable TOML (${(e as Error).message})`);
    return [];
  }
  const list = Array.isArray(doc.package) ? doc.package : [];
  return list.flatMap((p) => {
    if (!p || typeof p !== 'object' || Array.isArray(p)) return [];
    const { name, version, source } = p as Record<string, unknown>;
    if (typeof name !== 'string' || typeof version !== 'string' || typeof source !== 'string') return [];
    return [declared('cargo', name, version, purl('cargo', undefined, name, version), path, 'cargo-lockfile')];
  });
}

/** `module/path version` words of a require or replace line, comments removed. */
function words(line: string): string[] {
  return line.replace(/\/\/.*$/, '').trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/^"|"$/g, ''));
}

function goPkg(name: string, version: string, path: string): Package {
  const slash = name.lastIndexOf('/');
  const p = purl('golang', slash > 0 ? name.slice(0, slash) : undefined, slash > 0 ? name.slice(slash + 1) : name, version === '(devel)' ? undefined : version);
  return declared('golang', name, version, p, path, 'go-mod');
}

/** go.mod: the `require` directives (single-line and blocks), with `replace` applied. */
export function parseGoMod(content: string, path: string): Package[] {
  const req = new Map<string, string>();
  const repl = new Map<string, [string, string | undefined]>();
  let block: 'require' | 'replace' | undefined;
  const take = (kind: 'require' | 'replace', w: string[]) => {
    if (kind === 'require' && w.length >= 2) req.set(w[0]!, w[1]!);
    if (kind === 'replace') {
      const arrow = w.indexOf('=>');
      if (arrow >= 1 && w[arrow + 1]) repl.set(w[0]!, [w[arrow + 1]!, w[arrow + 2]]);
    }
  };
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (block) {
      if (line.startsWith(')')) block = undefined;
      else take(block, words(line));
      continue;
    }
    const m = /^(require|replace)\s*(\(?)\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[2]) block = m[1] as 'require' | 'replace';
    else take(m[1] as 'require' | 'replace', words(m[3]!));
  }
  const out: Package[] = [];
  for (const [mod, version] of req) {
    const r = repl.get(mod);
    if (!r) out.push(goPkg(mod, version, path));
    else if (r[1]) out.push(goPkg(r[0], r[1], path));
    else out.push(goPkg(mod, '(devel)', path)); // `=> ../local`: the code is not the required version
  }
  return out;
}

export const cargoLockCataloger: Cataloger = {
  name: 'cargo-lockfile',
  maxSize: 16 * 1024 * 1024,
  wants: (path) => baseName(path) === 'Cargo.lock' && appLockfile(path),
  parse: (path, content, ctx) => parseCargoLock(content.toString('utf8'), path, ctx),
};

export const goModCataloger: Cataloger = {
  name: 'go-mod',
  maxSize: 4 * 1024 * 1024,
  wants: (path) => baseName(path) === 'go.mod' && appLockfile(path),
  parse: (path, content) => parseGoMod(content.toString('utf8'), path),
};
