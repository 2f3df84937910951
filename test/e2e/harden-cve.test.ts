/**
 * harden's CVE rows come from real data by default: with the OSV source pointed at a loopback
 * export (DISTILL_OSV_URL), harden fetches the ecosystems its two images contain and counts, by
 * severity, the records that match packages really in them — git (only in the traditional
 * image), glibc (libc6, in both) and npm's bundled semver (only where npm is) — so the distroless
 * count is lower for a reason the table can show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';
import { podmanEnv } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { osvRecord, startOsvServer } from '../helpers/osv-server.ts';

// Unfixed records (no `fixed` event) affect every installed version, whatever the suite ships.
const debian = (release: string) => [
  osvRecord(`DEBIAN-CVE-2099-${release}01`, `Debian:${release}`, 'git', { severity: 'CRITICAL' }),
  osvRecord(`DEBIAN-CVE-2099-${release}02`, `Debian:${release}`, 'glibc', { severity: 'HIGH' }),
];

test('harden with a loopback OSV source: CVE rows by severity for both images, fewer in the distroless one', async () => {
  const server = await startOsvServer({
    Debian: [...debian('12'), ...debian('13')],
    npm: [osvRecord('GHSA-2099-semv-er00', 'npm', 'semver', { type: 'SEMVER', severity: 'MODERATE' })],
    PyPI: [osvRecord('PYSEC-2099-1', 'PyPI', 'flask')],
  });
  try {
    const out = tempDir('distill-e2e-harden-cve-');
    const db = tempDir('distill-e2e-harden-cve-db-');
    const env = { ...podmanEnv(), DISTILL_OSV_URL: server.url, DISTILL_OFFLINE: '' };
    const r = await runDistill(['harden', '-o', out, '--no-build', '--no-verify', '--db', db], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.downloads().sort(), ['Debian', 'npm'], 'only the ecosystems the images contain are fetched');
    assert.match(r.stdout, /critical CVEs/);
    assert.match(r.stdout, /CVEs by severity/);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const [fat, slim] = s.comparison;
    assert.ok(fat.vulnerabilities && slim.vulnerabilities, JSON.stringify(s.comparison.map((c: { vulnerabilities: unknown }) => c.vulnerabilities)));
    // Counted per installed package, as Trivy lists them: git and git-man are both from source git.
    assert.ok(fat.vulnerabilities.critical >= 1, 'git is in the traditional image');
    assert.equal(slim.vulnerabilities.critical, 0, 'and not in the distroless one');
    assert.ok(fat.vulnerabilities.high >= 1, 'glibc');
    assert.ok(slim.vulnerabilities.high >= 1, 'libc6 is in the distroless base too');
    assert.ok(fat.vulnerabilities.total >= 3, `npm's bundled semver counts in the traditional image: ${JSON.stringify(fat.vulnerabilities)}`);
    assert.ok(slim.vulnerabilities.total < fat.vulnerabilities.total);

    // --offline: the DB as it is, nothing asked.
    const before = server.requests.length;
    const off = await runDistill(['harden', '-o', out, '--no-build', '--no-verify', '--db', db, '--offline', '--json'], { env });
    assert.equal(off.code, 0, off.stderr);
    assert.equal(server.requests.length, before);
    assert.equal(JSON.parse(off.stdout).comparison[0].vulnerabilities.critical, fat.vulnerabilities.critical);
  } finally {
    await server.close();
  }
});
