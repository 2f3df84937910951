/**
 * `distill inspect` speed on a >= 500 MB single-layer Debian image (bench/_image.ts): the CLI
 * with `--json` to /dev/null, from dist/ (the built CLI users run) and from the TypeScript sources
 * (tsx), against `gzip -dc LAYER | tar -t` over the same layer blobs in the same run, which is the
 * least any tool must do to list a gzip layer. Median of 3 runs each; prints the ratio (target
 * <= 1.3x) and distill's peak RSS (target < 300 MB). Runnable alone: `node --import tsx bench/inspect.ts`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchImage } from './_image.ts';
import { ratio, timeCommand } from './_util.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'distill.js');
const REPS = 3;
const RATIO_TARGET = 1.3;
const RSS_TARGET_MB = 300;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` when dist/ is missing or older than src/, so bin/distill.js uses dist/. */
export function ensureBuilt(): boolean {
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(built) && newestMtime(join(ROOT, 'src')) <= statSync(built).mtimeMs) return true;
  try {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    console.error(`npm run build failed; timing from source only: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    return false;
  }
  return existsSync(built) && newestMtime(join(ROOT, 'src')) <= statSync(built).mtimeMs;
}

const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const mb = (mib: number | undefined): string => (mib === undefined ? 'unknown' : `${((mib * 1024 * 1024) / 1e6).toFixed(0)} MB`);

export interface InspectBenchRow {
  what: string;
  seconds: number;
  runs: number[];
  peakRssMiB: number | undefined;
  ratio: number | undefined;
  pass: boolean | undefined;
}

/** Times distill inspect against gzip|tar on the benchmark image and prints the table. */
export async function runInspectBench(): Promise<InspectBenchRow[]> {
  const img = await benchImage();
  const built = ensureBuilt();
  const baselineCmd = img.layerBlobs.map((b) => `gzip -dc ${sh(b)} | tar -t > /dev/null`).join(' && ');
  const inspectCmd = `${sh(process.execPath)} ${sh(BIN)} inspect ${sh(img.oci)} --json > /dev/null`;
  const compressed = img.layerBlobs.reduce((n, b) => n + statSync(b).size, 0);
  console.log(`image: ${img.oci} — ${img.layerBlobs.length} gzip layer(s), ${(compressed / 1e6).toFixed(0)} MB compressed, ${(img.rootfsBytes / 1e6).toFixed(0)} MB uncompressed`);

  // Interleave so drifts in machine load hit both sides alike.
  const runs: Record<string, number[]> = { base: [], dist: [], src: [] };
  const peaks: Record<string, number | undefined> = {};
  const variants: [string, NodeJS.ProcessEnv][] = [...(built ? ([['dist', { ...process.env, DISTILL_FROM_SOURCE: '' }]] as [string, NodeJS.ProcessEnv][]) : []), ['src', { ...process.env, DISTILL_FROM_SOURCE: '1' }]];
  for (let i = 0; i < REPS; i++) {
    const b = await timeCommand(baselineCmd, [], { shell: true });
    runs.base!.push(b.seconds);
    for (const [name, env] of variants) {
      const t = await timeCommand(inspectCmd, [], { shell: true, env });
      runs[name]!.push(t.seconds);
      if (t.peakRssMiB !== undefined) peaks[name] = Math.max(peaks[name] ?? 0, t.peakRssMiB);
    }
  }
  const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const base = med(runs.base!);
  const rows: InspectBenchRow[] = [{ what: 'gzip -dc \\| tar -t', seconds: base, runs: runs.base!, peakRssMiB: undefined, ratio: undefined, pass: undefined }];
  for (const [name] of variants) {
    const s = med(runs[name]!);
    const r = s / base;
    const rss = peaks[name];
    rows.push({
      what: `distill inspect --json (${name === 'dist' ? 'dist/' : 'from source, tsx'})`,
      seconds: s,
      runs: runs[name]!,
      peakRssMiB: rss,
      ratio: r,
      pass: r <= RATIO_TARGET && rss !== undefined && (rss * 1024 * 1024) / 1e6 < RSS_TARGET_MB,
    });
  }

  console.log(`\n| command | median s (runs) | vs gzip\\|tar (target <= ${RATIO_TARGET}x) | peak RSS (target < ${RSS_TARGET_MB} MB) | result |`);
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const rssOk = r.peakRssMiB === undefined ? '' : (r.peakRssMiB * 1024 * 1024) / 1e6 < RSS_TARGET_MB ? ' ok' : ' OVER';
    console.log(
      `| ${r.what} | ${r.seconds.toFixed(2)} (${r.runs.map((s) => s.toFixed(2)).join(', ')}) | ${r.ratio === undefined ? '1.00x (baseline)' : `${ratio(r.seconds, base)}${r.ratio <= RATIO_TARGET ? ' ok' : ' OVER'}`} | ${r.peakRssMiB === undefined ? '—' : mb(r.peakRssMiB) + rssOk} | ${r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL'} |`,
    );
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runInspectBench();
