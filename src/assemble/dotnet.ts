/**
 * .NET apps: `dotnet publish --self-contained` to a single-file binary for linux-x64/arm64 when
 * the SDK is on PATH, or a published directory from `--artifact DIR`; the result runs on cc.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { copySource, hasTool, ignoreMatcher, runTool, type BuildContext, type BuildPlan } from './common.ts';
import { readElf } from './detect.ts';

const RIDS: Record<string, string> = { amd64: 'linux-x64', arm64: 'linux-arm64' };

/** Plans a .NET build. */
export async function planDotnet(ctx: BuildContext): Promise<BuildPlan> {
  const proj = existsSync(ctx.appDir) ? readdirSync(ctx.appDir).find((n) => /\.(cs|fs)proj$/.test(n)) : undefined;
  let out: string;
  const steps: string[] = [];
  if (ctx.artifact) {
    out = ctx.artifact;
    steps.push(`published output ${out}`);
  } else {
    if (!hasTool('dotnet')) {
      throw new DistillError(ctx.appDir, 'the .NET SDK (dotnet) is not on PATH; run `dotnet publish -c Release -r linux-x64 --self-contained -o out` where it is and pass --artifact out');
    }
    const rid = RIDS[ctx.arch];
    if (!rid) throw new DistillError(ctx.arch, 'no .NET runtime identifier known for this architecture');
    const src = copySource(ctx.appDir, join(ctx.work, 'src'), ignoreMatcher(ctx.appDir, ['bin', 'obj']));
    out = join(ctx.work, 'publish');
    const args = ['publish', '-c', 'Release', '-r', rid, '--self-contained', 'true', '-p:PublishSingleFile=true', '-p:Deterministic=true', '-o', out];
    ctx.log('dotnet publish');
    await runTool('dotnet', args, { cwd: src, what: ctx.appDir, env: { DOTNET_CLI_TELEMETRY_OPTOUT: '1' } });
    steps.push(`dotnet ${args.join(' ')}`);
  }
  const name = proj ? basename(proj).replace(/\.(cs|fs)proj$/, '') : undefined;
  const exe = statSync(out).isDirectory()
    ? (name && readElf(join(out, name)) ? name : readdirSync(out).find((n) => readElf(join(out, n))))
    : undefined;
  if (statSync(out).isDirectory() && !exe) throw new DistillError(out, 'no self-contained executable in the published output (publish with --self-contained -r linux-x64)');
  return {
    runtime: 'dotnet',
    flavour: 'cc',
    layers: [{ name: 'app', holds: '.NET published app', sources: [{ src: out, dest: statSync(out).isDirectory() ? '/app' : '/app/server' }] }],
    cmd: [],
    entrypoint: [exe ? `/app/${exe}` : '/app/server'],
    env: { DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' },
    steps,
    warnings: [],
  };
}
