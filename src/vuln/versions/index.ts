/**
 * Version orderings keyed by OSV ecosystem name. An ecosystem with a release suffix
 * (`Debian:12`, `Alpine:v3.19`, `Rocky Linux:9`) uses its base name's ordering.
 *
 * The orderings are pure, and a scan compares the same few strings over and over (an installed
 * version against every event of every record of its package, and the events among themselves
 * to sort them), so each is memoised here; parsing a version costs far more than a map lookup.
 */
import { apkScheme as apk } from './apk.ts';
import { dpkgScheme as dpkg } from './dpkg.ts';
import { goScheme as go } from './go.ts';
import { mavenScheme as maven } from './maven.ts';
import { pep440Scheme as pep440 } from './pep440.ts';
import { rpmScheme as rpm } from './rpm.ts';
import { rubygemsScheme as rubygems } from './rubygems.ts';
import { semverScheme as semver } from './semver.ts';
import type { VersionScheme } from './types.ts';

export type { VersionScheme } from './types.ts';

// Per-scheme memo size: past it the memo starts over, so a long-lived process stays bounded.
const MEMO_MAX = 50_000;

/** `scheme` with its results remembered (nested maps: no separator can make two pairs collide). */
function memoised(scheme: VersionScheme): VersionScheme {
  let compared = new Map<string, Map<string, number>>();
  let pairs = 0;
  let validity = new Map<string, boolean>();
  return {
    name: scheme.name,
    compare(a, b) {
      let row = compared.get(a);
      let r = row?.get(b);
      if (r !== undefined) return r;
      r = scheme.compare(a, b);
      if (++pairs > MEMO_MAX) {
        compared = new Map();
        pairs = 1;
        row = undefined;
      }
      if (!row) compared.set(a, (row = new Map()));
      row.set(b, r);
      return r;
    },
    valid(v) {
      let r = validity.get(v);
      if (r !== undefined) return r;
      r = scheme.valid(v);
      if (validity.size >= MEMO_MAX) validity = new Map();
      validity.set(v, r);
      return r;
    },
  };
}

export const apkScheme = memoised(apk);
export const dpkgScheme = memoised(dpkg);
export const goScheme = memoised(go);
export const mavenScheme = memoised(maven);
export const pep440Scheme = memoised(pep440);
export const rpmScheme = memoised(rpm);
export const rubygemsScheme = memoised(rubygems);
export const semverScheme = memoised(semver);

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
