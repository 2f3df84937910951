/**
 * A base tailored to the app's ELF files: the libraries the app's own files need (a cgo binary's
 * libpq, a Python extension module's libxml2, a prebuilt Node addon's libvips) that the chosen
 * base does not have are looked up in the signed Debian Contents index, and the packages that
 * ship them are what the build adds to the base (`distill base FLAVOUR --add PKG`). Each added
 * package carries its reason: the sonames it provides and the files that need them.
 */
import type { Image } from '../oci/image.ts';
import { needsOver, type CollectedView } from '../needs/index.ts';

/** A library the app needs and the base lacks, with the app files that need it. */
export interface MissingLibrary {
  soname: string;
  files: string[];
}

/** A package added to the base, and why. */
export interface AddedPackage {
  package: string;
  sonames: string[];
  files: string[];
}

/** What tailoring decided: packages to add, and the libraries no Debian package ships. */
export interface Tailoring {
  added: AddedPackage[];
  unprovided: MissingLibrary[];
}

/** The libraries the app's own ELF files (`app`, the build's layers) need that neither they nor `base` provide. */
export async function missingOnBase(app: CollectedView, env: Record<string, string> | undefined, base: Image): Promise<MissingLibrary[]> {
  if (!app.elves.size) return [];
  const report = await needsOver(app, base, 'build', Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`));
  const by = new Map<string, Set<string>>();
  for (const f of report.files) {
    for (const n of f.needs) {
      if (n.status !== 'missing') continue;
      const soname = n.name.slice(n.name.lastIndexOf('/') + 1);
      (by.get(soname) ?? by.set(soname, new Set()).get(soname)!).add(f.path);
    }
  }
  return [...by].sort(([a], [b]) => (a < b ? -1 : 1)).map(([soname, files]) => ({ soname, files: [...files].sort() }));
}

/**
 * The packages that provide `missing`, from the soname -> packages map of the Contents index:
 * the first package listed for each (multiarch directories first), grouped by package.
 */
export function choosePackages(missing: MissingLibrary[], providers: Map<string, string[]>): Tailoring {
  const added = new Map<string, AddedPackage>();
  const unprovided: MissingLibrary[] = [];
  for (const m of missing) {
    const pkg = providers.get(m.soname)?.[0];
    if (!pkg) {
      unprovided.push(m);
      continue;
    }
    const a = added.get(pkg) ?? added.set(pkg, { package: pkg, sonames: [], files: [] }).get(pkg)!;
    a.sonames.push(m.soname);
    a.files = [...new Set([...a.files, ...m.files])].sort();
  }
  return { added: [...added.values()].sort((a, b) => (a.package < b.package ? -1 : 1)), unprovided };
}

/** The Debian packages providing each soname, from the signed Contents index of the apt sources' main suite. */
export async function debianProviders(sonames: string[]): Promise<Map<string, string[]>> {
  // Loaded only here: the apt client and OpenPGP are needed only when a library is missing.
  // Only the main suite's signed Release is needed (it lists the Contents index), not its Packages.
  const { selectRepositories } = await import('../debian/sources.ts');
  const { fetchRelease } = await import('../debian/release.ts');
  const { fetchContents, packagesForSonames } = await import('../debian/contents.ts');
  const main = selectRepositories().find((r) => r.role === 'main')!;
  return packagesForSonames(await fetchContents(await fetchRelease(main, { onWarning: () => undefined })), sonames);
}
