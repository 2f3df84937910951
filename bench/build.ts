/**
 * `distill build` benchmark: the edit-rebuild loop of the Node example (examples/node-express
 * plus express from the configured npm registry, so there is a dependency layer) onto the nodejs
 * base from `distill base`, against `podman build` of the equivalent Dockerfile FROM the same base
 * (pulled into podman from the OCI layout). Both run warm: one untimed build first (npm and
 * podman layer caches filled), then each timed round changes server.js and rebuilds, as a
 * developer does. distill is timed as the library call (buildApp + writeImage to an OCI layout,
 * dependency layer from the cache); the same build through bin/distill.js is printed beside it,
 * since run from source its time is mostly tsx compiling the CLI. podman writes to its store. Target from the issue: distill >= 5x faster.
 *
 * Runs alone with `node --import tsx bench/build.ts`; DISTILL_BENCH_ROUNDS sets the rounds (3).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { timeCommand, ratio } from './_util.ts';
import { buildApp } from '../src/assemble/index.ts';
import { writeImage } from '../src/oci/reference.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'distill.js');
const TARGET = 5;

export interface BuildBenchResult {
  rounds: number;
  distillSeconds: number[];
  podmanSeconds: number[];
  distillMedian: number;
  /** The same build through the CLI from source (tsx start-up included), for reference. */
  cliSeconds: number[];
  podmanMedian: number;
  speedup: number;
  withDependencies: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Times distill build vs podman build of the Node example on the same local nodejs base. */
export async function runBuildBench(): Promise<BuildBenchResult> {
  const rounds = Number(process.env.DISTILL_BENCH_ROUNDS ?? 3);
  const work = mkdtempSync(join(tmpdir(), 'distill-bench-build-'));
  const conf = join(work, 'containers.conf');
  writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
  const penv = { ...process.env, CONTAINERS_CONF: conf };
  const imageName = `localhost/distill-bench-build-${process.pid}`;
  const baseName = `localhost/distill-bench-build-base-${process.pid}`;
  try {
    const baseDir = join(ROOT, 'test-output', 'bench-build');
    mkdirSync(baseDir, { recursive: true });
    const base = join(baseDir, 'nodejs');
    if (!existsSync(join(base, 'index.json'))) {
      console.log('building the nodejs base (distill base nodejs --tags nonroot)…');
      await timeCommand(process.execPath, [BIN, 'base', 'nodejs', '-o', base, '--lock', join(baseDir, 'nodejs.lock.json'), '--tags', 'nonroot', '-q']);
    }
    const app = join(work, 'app');
    cpSync(join(ROOT, 'examples', 'node-express'), app, { recursive: true });
    // A real dependency, so both tools carry a node_modules layer; offline, the example runs bare.
    const dep = sh('npm', ['install', '--save', '--no-audit', '--no-fund', 'express@4'], app);
    const withDependencies = dep.ok;
    if (!dep.ok) console.log('npm registry not reachable: benchmarking the example without dependencies');
    // The example's .dockerignore leaves node_modules out of the context (it expects npm install
    // inside); the equivalent Dockerfile here copies the host's node_modules, as distill does.
    rmSync(join(app, '.dockerignore'), { force: true });
    const pulled = sh('podman', ['pull', '-q', `oci:${base}:nonroot`], work, penv);
    if (!pulled.ok) throw new Error(`podman pull oci:${base}:nonroot: ${pulled.out}`);
    sh('podman', ['tag', pulled.out.trim().split('\n').pop()!, baseName], work, penv);
    writeFileSync(
      join(app, 'Dockerfile.bench'),
      [`FROM ${baseName}`, 'WORKDIR /app', ...(withDependencies ? ['COPY node_modules /app/node_modules'] : []), 'COPY package.json server.js /app/', 'ENV NODE_ENV=production', 'USER 65532', 'EXPOSE 8080', 'CMD ["/app/server.js"]', ''].join('\n'),
    );
    const distillArgs = [BIN, 'build', app, '--base', `oci:${base}:nonroot`, '-o', `oci:${join(work, 'out')}:bench`, '-q'];
    const podmanArgs = ['build', '-q', '--pull=never', '-f', join(app, 'Dockerfile.bench'), '-t', imageName, app];
    // Warm-up: fills distill's npm cache and podman's layer cache.
    await timeCommand(process.execPath, distillArgs);
    await timeCommand('podman', podmanArgs, { env: penv });
    const distillSeconds: number[] = [];
    const podmanSeconds: number[] = [];
    const cliSeconds: number[] = [];
    const inProcess = async () => {
      const t0 = performance.now();
      const r = await buildApp({ appDir: app, base: `oci:${base}:nonroot` });
      try {
        await writeImage(r.image, `oci:${join(work, 'lib-out')}:bench`);
      } finally {
        r.cleanup();
      }
      return (performance.now() - t0) / 1000;
    };
    await inProcess();
    for (let i = 0; i < rounds; i++) {
      appendFileSync(join(app, 'server.js'), `// edit ${i}\n`);
      distillSeconds.push(await inProcess());
      podmanSeconds.push((await timeCommand('podman', podmanArgs, { env: penv })).seconds);
      cliSeconds.push((await timeCommand(process.execPath, distillArgs)).seconds);
    }
    const d = median(distillSeconds);
    const p = median(podmanSeconds);
    const speedup = p / d;
    console.log(`node example${withDependencies ? ' + express' : ''}, edit-rebuild, median of ${rounds} warm rounds`);
    console.log(`  distill build : ${d.toFixed(2)} s  (${distillSeconds.map((s) => s.toFixed(2)).join(', ')})  buildApp + writeImage in one process`);
    console.log(`  distill CLI   : ${median(cliSeconds).toFixed(2)} s  (${cliSeconds.map((s) => s.toFixed(2)).join(', ')})  bin/distill.js; from source this is mostly tsx start-up`);
    console.log(`  podman build  : ${p.toFixed(2)} s  (${podmanSeconds.map((s) => s.toFixed(2)).join(', ')})`);
    console.log(`  distill is ${ratio(p, d)} faster — target >= ${TARGET}x: ${speedup >= TARGET ? 'met' : 'NOT met'}`);
    return { rounds, distillSeconds, podmanSeconds, cliSeconds, distillMedian: d, podmanMedian: p, speedup, withDependencies };
  } finally {
    sh('podman', ['rmi', '-f', imageName, baseName], work, penv);
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runBuildBench();
