/** Paths and loaders for the OSV test DB (records we wrote from real advisories) and fixture images. */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../helpers/cli.ts';
import type { PackageInput, Distro } from '../../../src/vuln/matcher.ts';
import { writeZip } from './zip.ts';

export const OSV_FIXTURES = join(ROOT, 'test', 'fixtures', 'osv');
export const OSV_DB_FIXTURE = join(OSV_FIXTURES, 'db');

/** The ecosystem directories of the test DB. */
export function fixtureEcosystems(): string[] {
  return readdirSync(OSV_DB_FIXTURE).sort();
}

/** Packs the test DB into the OSV export layout `<out>/<Ecosystem>/all.zip`. */
export function buildOsvExport(out: string): void {
  for (const eco of fixtureEcosystems()) {
    const dir = join(OSV_DB_FIXTURE, eco);
    mkdirSync(join(out, eco), { recursive: true });
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    writeZip(join(out, eco, 'all.zip'), files.map((f) => [f, readFileSync(join(dir, f))]));
  }
}

/** A fixture image's package list, as its sbom would report it, each package carrying the distro. */
export function fixtureImage(name: string): PackageInput[] {
  const img = JSON.parse(readFileSync(join(OSV_FIXTURES, 'images', `${name}.json`), 'utf8')) as { distro: Distro | null; packages: PackageInput[] };
  return img.packages.map((p) => (img.distro ? { ...p, distro: img.distro } : p));
}
