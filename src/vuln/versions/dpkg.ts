/** Debian (dpkg) version ordering, shared with src/debian/version.ts. */
import { compareDebianVersions, isValidDebianVersion } from '../../debian/version.ts';
import type { VersionScheme } from './types.ts';

export { compareDebianVersions, isValidDebianVersion };

/** dpkg ordering, used for the Debian and Ubuntu OSV ecosystems. */
export const dpkgScheme: VersionScheme = {
  name: 'dpkg',
  compare: compareDebianVersions,
  valid: isValidDebianVersion,
};
