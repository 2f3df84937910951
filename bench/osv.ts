/**
 * The OSV DB: `distill db update --all` of a synthetic 200,000-record export served on loopback in
 * the real layout (ecosystems.txt, <Ecosystem>/all.zip, ETag and x-goog-hash), timed with its peak
 * RSS and the DB's size on disk; then `distill scan --offline` of a fat image (Debian 12 with 400
 * dpkg packages and 800 npm packages, written here) against that DB versus a DB of one ecosystem.
 * Targets: import >= 20,000 records/s, scan < 1 s, RSS < 300 MB. Runnable alone:
 * `node --import tsx bench/osv.ts`.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeImage, type TestEntry } from '../test/helpers/images.ts';
import { osvRecord, startOsvServer } from '../test/helpers/osv-server.ts';
import { writeImage } from '../src/oci/reference.ts';
import { timeCommand } from './_util.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// bench/run.ts builds dist/ first, so bin/ starts the compiled CLI; DISTILL_BENCH_BIN runs another build.
const BIN = process.env.DISTILL_BENCH_BIN ?? join(ROOT, 'bin', 'distill.js');
const RECORDS = 200_000;
// Each under 65,535 records: the test zip writer has no zip64.
const SHARE: [string, string, number][] = [
  ['Debian', 'Debian:12', 0.3],
  ['npm', 'npm', 0.25],
  ['PyPI', 'PyPI', 0.15],
  ['Go', 'Go', 0.1],
  ['Maven', 'Maven', 0.1],
  ['Alpine', 'Alpine:v3.19', 0.1],
];
const DPKG = 400;
const NPM = 800;

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

/** Records spread over `names` packages per ecosystem; one in ten affects the fat image's versions. */
function records(base: string, eco: string, count: number, names: number): object[] {
  const out: object[] = [];
  const distro = base === 'Debian' || base === 'Alpine';
  for (let i = 0; i < count; i++) {
    const name = `${base.toLowerCase()}-pkg-${i % names}`;
    out.push(
      osvRecord(`${base.toUpperCase()}-BENCH-${i}`, eco, name, {
        // One record in ten affects the installed versions (1.1-x, 1.x.0), as in a real scan most are fixed.
        fixed: i % 10 === 0 ? (distro ? (base === 'Alpine' ? '1.2-r1' : '1.2-1') : '2.0.0') : distro ? (base === 'Alpine' ? '1.0-r0' : '1.0-1') : '1.0.0',
        type: distro ? 'ECOSYSTEM' : base === 'npm' ? 'SEMVER' : 'ECOSYSTEM',
        severity: ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'][i % 4]!,
        aliases: [`CVE-2024-${100000 + i}`],
      }),
    );
  }
  return out;
}

async function fatImage(dir: string): Promise<string> {
  const status = Array.from({ length: DPKG }, (_, i) => `Package: debian-pkg-${i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.1-${1 + (i % 3)}\nDescription: bench\n`).join('\n');
  const npm: TestEntry[] = [{ name: 'app/', type: 'directory' }, { name: 'app/node_modules/', type: 'directory' }];
  for (let i = 0; i < NPM; i++) {
    npm.push({ name: `app/node_modules/npm-pkg-${i}/`, type: 'directory' });
    npm.push({ name: `app/node_modules/npm-pkg-${i}/package.json`, content: JSON.stringify({ name: `npm-pkg-${i}`, version: `1.${i % 5}.0` }) });
  }
  const img = await makeImage([
    [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { name: 'var/', type: 'directory' },
      { name: 'var/lib/', type: 'directory' },
      { name: 'var/lib/dpkg/', type: 'directory' },
      { name: 'var/lib/dpkg/status', content: status },
      ...npm,
    ],
  ]);
  const ref = `oci:${join(dir, 'fat')}:v1`;
  await writeImage(img, ref);
  return ref;
}

/** Runs the bench and prints its figures against the targets. */
export async function runOsvBench(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'distill-bench-osv-'));
  const t0 = performance.now();
  const initial: Record<string, object[]> = {};
  for (const [base, eco, share] of SHARE) initial[base] = records(base, eco, Math.round(RECORDS * share), base === 'Debian' ? DPKG * 4 : base === 'npm' ? NPM * 4 : 5000);
  const server = await startOsvServer(initial);
  console.log(`synthetic export: ${RECORDS} records in ${SHARE.length} ecosystems, zipped in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  try {
    const env = { ...process.env, DISTILL_OSV_URL: server.url, DISTILL_OFFLINE: '', NO_COLOR: '1' };
    const full = join(work, 'full');
    const upd = await timeCommand(process.execPath, [BIN, 'db', 'update', '--all', '--json', '--dir', full], { env });
    const rate = RECORDS / upd.seconds;
    const size = dirBytes(full);
    console.log(`db update --all: ${upd.seconds.toFixed(2)} s, ${Math.round(rate)} records/s (target >= 20000), peak RSS ${upd.peakRssMiB?.toFixed(0) ?? '?'} MiB (target < 300), DB ${(size / 1e6).toFixed(1)} MB on disk`);
    const again = await timeCommand(process.execPath, [BIN, 'db', 'update', '--all', '--json', '--dir', full], { env });
    console.log(`db update --all again (304s, nothing downloaded): ${again.seconds.toFixed(2)} s`);

    const one = join(work, 'one');
    await timeCommand(process.execPath, [BIN, 'db', 'update', '--ecosystem', 'Debian', '--json', '--dir', one], { env });
    const ref = await fatImage(work);
    const scan = async (db: string) => timeCommand(process.execPath, [BIN, 'scan', ref, '--offline', '--json', '--db', db], { env: { ...env, DISTILL_OFFLINE: '1' } });
    for (const [label, db] of [['all ecosystems', full], ['Debian only', one]] as const) {
      const runs = [await scan(db), await scan(db), await scan(db)].sort((a, b) => a.seconds - b.seconds);
      const r = runs[1]!;
      const found = (JSON.parse(r.stdout) as { totals: { total: number } }).totals.total;
      console.log(`scan of the fat image (${DPKG} dpkg + ${NPM} npm packages), DB ${label}: ${r.seconds.toFixed(2)} s median of 3 (target < 1 s), peak RSS ${r.peakRssMiB?.toFixed(0) ?? '?'} MiB, ${found} findings`);
    }
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runOsvBench();
