/** Test helper: checks that a resolution is closed under Depends and Pre-Depends. */
import assert from 'node:assert/strict';
import { parseRelations } from '../../src/debian/control.ts';
import type { PackageEntry } from '../../src/debian/packages.ts';
import type { Resolution } from '../../src/debian/resolver.ts';
import { satisfiesDebian } from '../../src/debian/version.ts';

/** Every Depends/Pre-Depends group of every package is met inside the closure (or excluded). */
export function assertClosed(r: Resolution, exclude: readonly string[] = [], arch = 'amd64'): void {
  const byName = new Map(r.packages.map((p) => [p.entry.name, p.entry] as const));
  const provided = new Map<string, { e: PackageEntry; v?: string }[]>();
  for (const p of r.packages) {
    for (const pr of p.entry.provides) provided.set(pr.name, [...(provided.get(pr.name) ?? []), { e: p.entry, ...(pr.version ? { v: pr.version } : {}) }]);
  }
  for (const { entry } of r.packages) {
    assert.ok(entry.architecture === arch || entry.architecture === 'all', `${entry.name} is ${entry.architecture}`);
    for (const group of [...parseRelations(entry.preDepends), ...parseRelations(entry.depends)]) {
      const ok = group.some((rel) => {
        if (exclude.includes(rel.name)) return true;
        const e = byName.get(rel.name);
        if (e && (!rel.op || satisfiesDebian(e.version, rel.op, rel.version!))) return true;
        return (provided.get(rel.name) ?? []).some((p) => exclude.includes(p.e.name) || !rel.op || (p.v !== undefined && satisfiesDebian(p.v, rel.op, rel.version!)));
      });
      assert.ok(ok, `${entry.name}: ${group.map((g) => g.name).join(' | ')} is met in the closure`);
    }
  }
}
