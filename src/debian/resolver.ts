/**
 * Dependency closure over a PackageIndex: Depends and Pre-Depends (not Recommends or Suggests),
 * alternatives (`a | b`: an already-selected one wins, else the first that can be had), version
 * constraints, virtual packages via Provides, architecture qualifiers (`:any`, `:native`, our
 * arch) and restriction lists. Excluded packages are never installed and count as satisfied,
 * which is how a distroless flavour leaves out debconf, perl or dpkg that maintainer scripts need.
 *
 * No backtracking: a Debian stable suite has one candidate per name (plus point-release and
 * security updates that only go up), so a greedy highest-version walk finds what apt finds; when
 * it cannot, the error names the chain of packages that led there.
 */
import { asDistillError, DistillError } from '../util/errors.ts';
import { formatRelation, parseRelations, type Relation } from './control.ts';
import type { PackageEntry, PackageIndex } from './packages.ts';
import { satisfiesDebian } from './version.ts';

/** What to resolve. */
export interface ResolveRequest {
  /** Root package names (optionally `name=version` to pin). */
  packages: string[];
  /** Extra roots (`--add`). */
  add?: string[];
  /** Names never installed; dependencies on them (or only satisfiable by them) count as met. */
  exclude?: string[];
  /** Default `amd64`. */
  arch?: string;
}

/** One selected package and why it is there. */
export interface ResolvedPackage {
  entry: PackageEntry;
  /** Chain from a root to this package, root first (a root's chain is just itself). */
  chain: string[];
}

/** The closure, sorted by package name. */
export interface Resolution {
  packages: ResolvedPackage[];
  /** Excluded names that something depended on, with who asked, sorted. */
  excluded: { name: string; wantedBy: string[] }[];
}

/** Resolves the dependency closure of the request over `index`. */
export function resolve(index: PackageIndex, req: ResolveRequest): Resolution {
  const arch = req.arch ?? 'amd64';
  const excluded = new Set(req.exclude ?? []);
  const selected = new Map<string, ResolvedPackage>();
  const excludedHits = new Map<string, Set<string>>();
  const queue: ResolvedPackage[] = [];

  const archOk = (e: PackageEntry) => e.architecture === arch || e.architecture === 'all';
  const noteExcluded = (name: string, by: string) => {
    const s = excludedHits.get(name) ?? new Set<string>();
    s.add(by);
    excludedHits.set(name, s);
  };
  const select = (entry: PackageEntry, chain: string[]) => {
    const rp: ResolvedPackage = { entry, chain };
    selected.set(entry.name, rp);
    queue.push(rp);
  };

  for (const root of [...req.packages, ...(req.add ?? [])]) {
    const eq = root.indexOf('=');
    const name = eq >= 0 ? root.slice(0, eq) : root;
    const version = eq >= 0 ? root.slice(eq + 1) : undefined;
    if (excluded.has(name)) throw new DistillError(name, 'is both requested and excluded', { code: 'E_INPUT' });
    const have = selected.get(name);
    if (have) {
      if (version !== undefined && have.entry.version !== version) {
        throw new DistillError(root, `conflicts with ${name}=${have.entry.version} requested earlier`, { code: 'E_INPUT' });
      }
      continue;
    }
    const entry = index.versions(name).find((e) => archOk(e) && (version === undefined || e.version === version));
    if (!entry) {
      const avail = index.versions(name).map((e) => `${e.version} (${e.architecture})`);
      const prov = index.providers(name).map((p) => p.entry.name);
      throw new DistillError(
        root,
        avail.length
          ? `no such version for ${arch}; available: ${avail.join(', ')}`
          : prov.length
            ? `is a virtual package; name one of its providers: ${[...new Set(prov)].sort().join(', ')}`
            : 'no such package in the archive',
        { code: 'E_NOT_FOUND' },
      );
    }
    select(entry, [name]);
  }

  /** A selected package satisfying `r`, by name or by Provides. */
  const satisfiedBySelected = (r: Relation): boolean => {
    const s = selected.get(r.name);
    if (s && versionOk(s.entry.version, r)) return true;
    for (const p of index.providers(r.name)) {
      const sel = selected.get(p.entry.name);
      if (sel && sel.entry === p.entry && providedOk(p.version, r)) return true;
    }
    return false;
  };

  /** The entry to install for `r`, or undefined when none fits. */
  const candidate = (r: Relation): PackageEntry | undefined => {
    const real = index.versions(r.name).find((e) => archOk(e) && versionOk(e.version, r));
    if (real) return real;
    const provs = index
      .providers(r.name)
      .filter((p) => archOk(p.entry) && providedOk(p.version, r) && !excluded.has(p.entry.name) && !selected.has(p.entry.name))
      // Deterministic choice among several providers: by name, then highest version first.
      .sort((a, b) => (a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0));
    return provs[0]?.entry;
  };

  for (let i = 0; i < queue.length; i++) {
    const cur = queue[i]!;
    const e = cur.entry;
    let groups;
    try {
      groups = [...parseRelations(e.preDepends, `${e.name} Pre-Depends`), ...parseRelations(e.depends, `${e.name} Depends`)];
    } catch (err) {
      // The mirror's Packages index is the input at fault; the message names the field.
      throw asDistillError(err, e.name);
    }
    for (const group of groups) {
      const alts = group.filter((r) => relationApplies(r, arch));
      if (alts.length === 0) continue;
      if (alts.some(satisfiedBySelected)) continue;
      // An excluded alternative (or a virtual one an excluded package provides) counts as
      // installed: `debconf | debconf-2.0` with debconf excluded must not pull in cdebconf.
      const ex = alts.find(
        (r) => excluded.has(r.name) || (index.versions(r.name).length === 0 && index.providers(r.name).some((p) => excluded.has(p.entry.name))),
      );
      if (ex) {
        noteExcluded(ex.name, e.name);
        continue;
      }
      let picked: PackageEntry | undefined;
      for (const r of alts) {
        if (excluded.has(r.name)) continue;
        const c = candidate(r);
        if (!c || excluded.has(c.name)) continue;
        if (selected.has(c.name)) continue; // selected at another version: a conflict, reported below
        picked = c;
        break;
      }
      if (picked) {
        select(picked, [...cur.chain, picked.name]);
        continue;
      }
      const want = alts.map(formatRelation).join(' | ');
      const why = alts
        .map((r) => {
          const s = selected.get(r.name);
          if (s) return `${r.name} ${s.entry.version} is already selected (via ${s.chain.join(' -> ')})`;
          const vs = index.versions(r.name).filter(archOk);
          if (vs.length) return `${r.name} has only ${vs.map((v) => v.version).join(', ')}`;
          return `${r.name} is not in the archive`;
        })
        .join('; ');
      throw new DistillError(cur.chain.join(' -> '), `unsatisfiable dependency ${want}: ${why}`, { code: 'E_INPUT' });
    }
  }

  const packages = [...selected.values()].sort((a, b) => (a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0));
  const excludedList = [...excludedHits.entries()]
    .map(([name, by]) => ({ name, wantedBy: [...by].sort() }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return { packages, excluded: excludedList };
}

function versionOk(version: string, r: Relation): boolean {
  return !r.op || satisfiesDebian(version, r.op, r.version!);
}

/** A Provides satisfies an unversioned relation always, a versioned one only with `(= v)`. */
function providedOk(providedVersion: string | undefined, r: Relation): boolean {
  if (!r.op) return true;
  return providedVersion !== undefined && satisfiesDebian(providedVersion, r.op, r.version!);
}

/** Whether a relation applies on `arch`: its restriction list, and its `:qualifier`. */
function relationApplies(r: Relation, arch: string): boolean {
  if (r.archList && r.archList.length) {
    const neg = r.archList.every((a) => a.startsWith('!'));
    const hit = r.archList.some((a) => a.replace(/^!/, '') === arch || a.replace(/^!/, '') === 'any');
    if (neg ? hit : !hit) return false;
  }
  // `:any`, `:native` and `:ARCH` all mean our single architecture here; a foreign arch never does.
  return !r.archQualifier || ['any', 'native', arch].includes(r.archQualifier);
}
