/**
 * Version orderings keyed by OSV ecosystem name. An ecosystem with a release suffix
 * (`Debian:12`, `Alpine:v3.19`, `Rocky Linux:9`) uses its base name's ordering.
 */
import { apkScheme } from './apk.ts';
import { dpkgScheme } from './dpkg.ts';
import { goScheme } from './go.ts';
import { mavenScheme } from './maven.ts';
import { pep440Scheme } from './pep440.ts';
import { rpmScheme } from './rpm.ts';
import { rubygemsScheme } from './rubygems.ts';
import { semverScheme } from './semver.ts';
import type { VersionScheme } from './types.ts';

export type { VersionScheme } from './types.ts';
export { apkScheme, dpkgScheme, goScheme, mavenScheme, pep440Scheme, rpmScheme, rubygemsScheme, semverScheme };

const BY_ECOSYSTEM: Record<string, VersionScheme> = {
  Debian: dpkgScheme,
  Ubuntu: dpkgScheme,
  Alpine: apkScheme,
  Wolfi: apkScheme,
  Chainguard: apkScheme,
  'Red Hat': rpmScheme,
  'Rocky Linux': rpmScheme,
  AlmaLinux: rpmScheme,
  SUSE: rpmScheme,
  openSUSE: rpmScheme,
  Mageia: rpmScheme,
  npm: semverScheme,
  'crates.io': semverScheme,
  PyPI: pep440Scheme,
  Go: goScheme,
  Maven: mavenScheme,
  RubyGems: rubygemsScheme,
};

/** `Debian:12` → `Debian`; `Rocky Linux:9` → `Rocky Linux`. */
export function baseEcosystem(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

/** The ordering for an OSV ecosystem, or undefined when we have none (callers report "unknown"). */
export function schemeFor(ecosystem: string): VersionScheme | undefined {
  return BY_ECOSYSTEM[baseEcosystem(ecosystem)];
}

/** Every OSV ecosystem (base name) we can compare versions for. */
export const SUPPORTED_ECOSYSTEMS: readonly string[] = Object.keys(BY_ECOSYSTEM);
