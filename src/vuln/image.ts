/** Scanning an image: its SBOM's packages mapped to OSV ecosystems, then matched. */
import { sbomFromImage, type Sbom } from '../analyze/sbom.ts';
import type { Package } from '../analyze/package.ts';
import type { Image } from '../oci/image.ts';
import type { PackageInput } from './matcher.ts';
import { scanPackages, type ScanOptions, type ScanResult } from './scan.ts';

const ECOSYSTEM: Partial<Record<Package['type'], string>> = {
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  maven: 'Maven',
  cargo: 'crates.io',
};

const DISTRO_BASE: Record<string, string> = { debian: 'Debian', ubuntu: 'Ubuntu', alpine: 'Alpine', rocky: 'Rocky Linux', almalinux: 'AlmaLinux', rhel: 'Red Hat' };

/**
 * The matcher's inputs for an SBOM. OS packages are matched under the distro's ecosystem by their
 * source package (advisories name `openssl`, not `libssl3`); packages with no OSV ecosystem
 * (generic binaries) are returned in `unmatched` so a scan can say it did not cover them.
 */
export function packageInputs(sbom: Sbom): { inputs: PackageInput[]; unmatched: Package[] } {
  const inputs: PackageInput[] = [];
  const unmatched: Package[] = [];
  for (const p of sbom.packages) {
    if (p.type === 'deb' || p.type === 'apk' || p.type === 'rpm') {
      const base = sbom.distro ? DISTRO_BASE[sbom.distro.id] : undefined;
      if (!base) {
        unmatched.push(p);
        continue;
      }
      inputs.push({
        name: p.name,
        version: p.version,
        ecosystem: base,
        purl: p.purl,
        ...(sbom.distro ? { distro: { id: sbom.distro.id, ...(sbom.distro.versionId ? { versionId: sbom.distro.versionId } : {}) } } : {}),
        ...(p.sourceName ? { source: { name: p.sourceName, ...(p.sourceVersion ? { version: p.sourceVersion } : {}) } } : {}),
      });
    } else if (ECOSYSTEM[p.type]) {
      // Go's main module of a locally built binary has no version to match.
      if (p.version === '(devel)' || p.version === '') {
        unmatched.push(p);
        continue;
      }
      inputs.push({ name: p.name, version: p.version, ecosystem: ECOSYSTEM[p.type]!, purl: p.purl });
    } else {
      unmatched.push(p);
    }
  }
  return { inputs, unmatched };
}

export interface ImageScan extends ScanResult {
  image: { name: string; digest?: string; distro?: Sbom['distro'] };
  unmatched: { name: string; version: string; type: string; reason: string }[];
  sbomWarnings: string[];
  /** The SBOM the scan matched (for follow-up checks such as pending updates). */
  sbom: Sbom;
}

/** SBOM + OSV match for one image. */
export async function scanImage(image: Image, name: string, opts: ScanOptions = {}): Promise<ImageScan> {
  const sbom = await sbomFromImage(image, name);
  const { inputs, unmatched } = packageInputs(sbom);
  const result = await scanPackages(inputs, opts);
  return {
    ...result,
    image: { name, digest: sbom.source.digest, distro: sbom.distro },
    unmatched: unmatched.map((p) => ({
      name: p.name,
      version: p.version,
      type: p.type,
      reason: p.type === 'binary' || p.type === 'generic' ? 'no OSV ecosystem for this kind of package' : p.version === '(devel)' ? 'locally built module has no version' : 'unknown distribution',
    })),
    sbomWarnings: sbom.warnings,
    sbom,
  };
}
