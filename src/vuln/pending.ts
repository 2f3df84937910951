/**
 * Pending security updates of a Debian image: each installed package against the newest version
 * in the distribution's updates and security suites (read from the apt sources, verified like
 * every index distill reads), with the CVE ids that the newer versions' changelogs name. The
 * changelog comes from the newer .deb itself (downloaded and checked against the signed index),
 * one binary package per source package.
 */
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Sbom } from '../analyze/sbom.ts';
import { readDebData } from '../debian/deb.ts';
import { downloadDebs } from '../debian/download.ts';
import { loadArchive, type ArchiveOptions, type PackageEntry } from '../debian/packages.ts';
import { compareDebianVersions } from '../debian/version.ts';

export interface PendingUpdate {
  package: string;
  source: string;
  installed: string;
  available: string;
  /** `uri suite` the newer version comes from. */
  from: string;
  /** CVE ids named in the changelog entries newer than the installed version. */
  cves: string[];
}

export interface PendingResult {
  updates: PendingUpdate[];
  /** Why some packages were not checked (not in the archive, unknown distro). */
  notes: string[];
}

/** CVE ids in the changelog entries whose version is newer than `installed`. */
export function cvesSince(changelog: string, installed: string): string[] {
  const cves = new Set<string>();
  let current: string | undefined;
  for (const line of changelog.split('\n')) {
    const head = /^\S+ \(([^)]+)\) [^;]*;/.exec(line);
    if (head) {
      current = head[1];
      if (compareDebianVersions(current!, installed) <= 0) break;
      continue;
    }
    if (current === undefined) continue;
    for (const m of line.matchAll(/CVE-\d{4}-\d{4,}/g)) cves.add(m[0]);
  }
  return [...cves].sort();
}

async function readChangelog(deb: string, source: string, binary: string): Promise<string | undefined> {
  const wanted = new Set([`usr/share/doc/${binary}/changelog.Debian.gz`, `usr/share/doc/${source}/changelog.Debian.gz`]);
  let text: string | undefined;
  for await (const e of readDebData(deb)) {
    if (text === undefined && e.header.type === 'file' && wanted.has(e.path)) {
      const chunks: Buffer[] = [];
      const gun = (e.body as Readable).pipe(createGunzip());
      for await (const c of gun) chunks.push(c as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      e.body.resume();
    }
  }
  return text;
}

/** The pending updates of the Debian packages in `sbom`. */
export async function pendingUpdates(sbom: Sbom, opts: ArchiveOptions & { progress?: boolean } = {}): Promise<PendingResult> {
  const notes: string[] = [];
  if (sbom.distro?.id !== 'debian') return { updates: [], notes: [`not a Debian image (${sbom.distro?.id ?? 'unknown distribution'}); pending updates are checked for Debian only`] };
  const archive = await loadArchive({ ...opts, onWarning: (m) => notes.push(m) });
  const updates: (PendingUpdate & { entry: PackageEntry })[] = [];
  for (const p of sbom.packages) {
    if (p.type !== 'deb') continue;
    const newest = archive.index.versions(p.name)[0];
    if (!newest) {
      notes.push(`${p.name} is not in the archive`);
      continue;
    }
    if (compareDebianVersions(newest.version, p.version) > 0) {
      updates.push({ package: p.name, source: p.sourceName ?? newest.source?.split(' ')[0] ?? p.name, installed: p.version, available: newest.version, from: newest.origin, cves: [], entry: newest });
    }
  }
  // One changelog per source package: the smallest of its updated binaries carries the same file.
  const bySource = new Map<string, (typeof updates)[number]>();
  for (const u of updates) {
    const cur = bySource.get(u.source);
    if (!cur || u.entry.size < cur.entry.size) bySource.set(u.source, u);
  }
  const picks = [...bySource.values()];
  const debs = await downloadDebs(picks.map((u) => u.entry), { progress: opts.progress });
  const cvesBySource = new Map<string, string[]>();
  for (const [i, u] of picks.entries()) {
    const log = await readChangelog(debs[i]!.path, u.source, u.package);
    if (log === undefined) notes.push(`${u.package} ${u.available} ships no changelog; its CVEs are unknown`);
    cvesBySource.set(u.source, log ? cvesSince(log, u.installed) : []);
  }
  return {
    updates: updates
      .map(({ entry: _e, ...u }) => ({ ...u, cves: cvesBySource.get(u.source) ?? [] }))
      .sort((a, b) => a.package.localeCompare(b.package)),
    notes,
  };
}
