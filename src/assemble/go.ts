/**
 * Go apps: `CGO_ENABLED=0 go build -trimpath -ldflags=-buildid=` of a copy of APPDIR (so go
 * never writes into it) for the target architecture, giving one static binary at /app/server
 * on the static base. Modules come as the user's `go env` says (GOPROXY, GOFLAGS, GOPRIVATE,
 * GONOSUMDB, the go env file), from vendor/ when the module vendors them, or the module cache;
 * --offline sets GOPROXY=off (and -mod=vendor with a vendor/ directory).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { copySource, hasTool, ignoreMatcher, installLog, runTool, type BuildContext, type BuildPlan } from './common.ts';
import { readElf } from './detect.ts';

/** A value of `go env` (environment and the go env file, as go itself reads them). */
function goEnv(name: string): string {
  return spawnSync('go', ['env', name], { encoding: 'utf8' }).stdout?.trim() ?? '';
}

/** Plans a Go build (or takes a prebuilt binary from --artifact). */
export async function planGo(ctx: BuildContext): Promise<BuildPlan> {
  const dest = ctx.artefact ?? '/app/server';
  const plan: BuildPlan = { runtime: 'go', flavour: 'static', layers: [], cmd: [], entrypoint: [dest], steps: [], warnings: [] };
  let bin: string;
  if (ctx.artifact) {
    const elf = readElf(ctx.artifact);
    if (!elf) throw new DistillError(ctx.artifact, 'not an ELF executable');
    if (elf.dynamic) plan.flavour = 'cc';
    bin = ctx.artifact;
    plan.steps.push(`prebuilt binary ${ctx.artifact}`);
  } else {
    if (!hasTool('go')) throw new DistillError(ctx.appDir, 'go not found on PATH; install Go (e.g. apt-get install golang-go) or pass --artifact BINARY');
    const src = copySource(ctx.appDir, join(ctx.work, 'src'), ignoreMatcher(ctx.appDir));
    bin = join(ctx.work, 'server');
    const args = ['build', '-trimpath', '-ldflags=-buildid= -s -w', '-o', bin, '.'];
    const vendored = existsSync(join(ctx.appDir, 'vendor', 'modules.txt'));
    const offline: Record<string, string> = ctx.deps?.offline ? { GOPROXY: 'off', ...(vendored ? { GOFLAGS: `${goEnv('GOFLAGS')} -mod=vendor`.trim() } : {}) } : {};
    ctx.log('CGO_ENABLED=0 go build -trimpath');
    await runTool('go', args, { cwd: src, what: ctx.appDir, logFile: installLog('go'), env: { CGO_ENABLED: '0', GOOS: 'linux', GOARCH: ctx.arch, GOTOOLCHAIN: 'local', ...offline } });
    plan.steps.push(`CGO_ENABLED=0 GOOS=linux GOARCH=${ctx.arch} go ${args.slice(0, 3).join(' ')} . (modules: ${vendored ? 'vendor/' : `GOPROXY=${offline.GOPROXY ?? goEnv('GOPROXY')}`})`);
  }
  plan.layers.push({ name: 'app', holds: `Go binary ${dest}`, sources: [{ src: bin, dest }] });
  return plan;
}
