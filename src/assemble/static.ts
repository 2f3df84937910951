/**
 * Prebuilt executables (C, C++, Zig, anything): `--artifact BINARY` or the one ELF executable in
 * APPDIR goes to /app/server; static binaries get the static base, dynamic ones cc.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import type { BuildContext, BuildPlan } from './common.ts';
import { readElf } from './detect.ts';

/** Plans a build of a ready binary. */
export async function planStatic(ctx: BuildContext): Promise<BuildPlan> {
  let bin = ctx.artifact;
  if (!bin) {
    const exes = readdirSync(ctx.appDir)
      .map((n) => join(ctx.appDir, n))
      .filter((p) => statSync(p).isFile() && (statSync(p).mode & 0o111) !== 0 && readElf(p));
    if (exes.length !== 1) throw new DistillError(ctx.appDir, `expected one ELF executable, found ${exes.length}; pass --artifact BINARY`);
    bin = exes[0]!;
  }
  const elf = readElf(bin);
  if (!elf) throw new DistillError(bin, 'not an ELF executable');
  if (elf.arch !== 'unknown' && elf.arch !== ctx.arch) throw new DistillError(bin, `built for ${elf.arch}, but the target platform is linux/${ctx.arch}`);
  return {
    runtime: 'static',
    flavour: elf.dynamic ? 'cc' : 'static',
    layers: [{ name: 'app', holds: `binary ${ctx.artefact ?? '/app/server'} (${elf.dynamic ? 'dynamic' : 'static'})`, sources: [{ src: bin, dest: ctx.artefact ?? '/app/server' }] }],
    cmd: [],
    entrypoint: [ctx.artefact ?? '/app/server'],
    steps: [`prebuilt binary ${bin}`],
    warnings: [],
  };
}
