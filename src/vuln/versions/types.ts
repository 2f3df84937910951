/** The one interface every ecosystem's version ordering implements. */
export interface VersionScheme {
  /** Short name of the ordering, e.g. `dpkg`, `apk`, `rpm`, `semver`, `pep440`, `maven`, `go`. */
  readonly name: string;
  /** Negative if a < b, 0 if equal, positive if a > b. Never throws. */
  compare(a: string, b: string): number;
  /** Whether `v` is a version this scheme understands (comparison of invalid ones is best-effort). */
  valid(v: string): boolean;
}
