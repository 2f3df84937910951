/**
 * Rust apps: `cargo build --release` of a copy of APPDIR with the registries cargo is configured
 * with (~/.cargo/config.toml, the project's .cargo/config.toml, CARGO_REGISTRIES_*), `--locked`
 * when Cargo.lock exists, `--offline` only when asked or when the project vendors its crates
 * (a source replaced by a `directory`), the source path remapped so the binary does not carry the
 * temp directory, and a target dir cached per app for warm rebuilds. The binary is glibc-linked,
 * so it goes on the cc base (unless static).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { cacheDir, copySource, hashInputs, hasTool, ignoreMatcher, installLog, runTool, type BuildContext, type BuildPlan } from './common.ts';
import { readElf } from './detect.ts';

/** The binary cargo builds: the first [[bin]] name, else [package] name (a TOML subset read by hand). */
export function cargoBinName(toml: string): string | undefined {
  const bin = /\[\[bin\]\][^[]*?^\s*name\s*=\s*"([^"]+)"/ms.exec(toml);
  if (bin) return bin[1];
  const pkg = /\[package\][^[]*?^\s*name\s*=\s*"([^"]+)"/ms.exec(toml);
  return pkg?.[1];
}

/** Whether the project's .cargo/config(.toml) replaces a source with a local `directory` (cargo vendor's setup). */
export function cargoVendored(appDir: string): boolean {
  return ['config.toml', 'config'].some((f) => {
    const p = join(appDir, '.cargo', f);
    return existsSync(p) && /^\s*\[source\.[^\]]+\][^[]*^\s*directory\s*=/m.test(readFileSync(p, 'utf8'));
  });
}

/** cargo's flags: --locked with a Cargo.lock, --offline when asked or vendored. */
export function cargoFlags(appDir: string, offline: boolean): string[] {
  return [...(existsSync(join(appDir, 'Cargo.lock')) ? ['--locked'] : []), ...(offline || cargoVendored(appDir) ? ['--offline'] : [])];
}

const RUST_TARGETS: Record<string, string> = { amd64: 'x86_64-unknown-linux-gnu', arm64: 'aarch64-unknown-linux-gnu' };

/** Plans a Rust build (or takes a prebuilt binary from --artifact). */
export async function planRust(ctx: BuildContext): Promise<BuildPlan> {
  const dest = ctx.artefact ?? '/app/server';
  const plan: BuildPlan = { runtime: 'rust', flavour: 'cc', layers: [], cmd: [], entrypoint: [dest], steps: [], warnings: [] };
  let bin: string;
  if (ctx.artifact) {
    bin = ctx.artifact;
    plan.steps.push(`prebuilt binary ${ctx.artifact}`);
  } else {
    if (!hasTool('cargo')) throw new DistillError(ctx.appDir, 'cargo not found on PATH; install Rust (rustup) or pass --artifact BINARY');
    const tomlPath = join(ctx.appDir, 'Cargo.toml');
    const name = cargoBinName(readFileSync(tomlPath, 'utf8'));
    if (!name) throw new DistillError(tomlPath, 'no [package] name or [[bin]] name');
    const src = copySource(ctx.appDir, join(ctx.work, 'src'), ignoreMatcher(ctx.appDir, ['target']));
    const target = cacheDir('cargo', hashInputs(['cargo-v1', resolve(ctx.appDir), ctx.arch]));
    const triple = RUST_TARGETS[ctx.arch];
    if (!triple) throw new DistillError(ctx.arch, 'no Rust target triple known for this architecture');
    const args = ['build', '--release', '--target', triple, '--target-dir', target, ...cargoFlags(ctx.appDir, ctx.deps?.offline ?? false)];
    ctx.log(`cargo ${args.slice(0, 2).join(' ')}`);
    await runTool('cargo', args, {
      cwd: src,
      what: ctx.appDir,
      logFile: installLog('cargo'),
      env: { RUSTFLAGS: `--remap-path-prefix=${src}=/app/src -C strip=symbols`, CARGO_TERM_COLOR: 'never', SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH ?? '0' },
    });
    bin = join(target, triple, 'release', name);
    plan.steps.push(`cargo build --release --target ${triple} ${cargoFlags(ctx.appDir, ctx.deps?.offline ?? false).join(' ')}`.trim());
  }
  const elf = readElf(bin);
  if (!elf) throw new DistillError(bin, 'not an ELF executable');
  if (!elf.dynamic) plan.flavour = 'static';
  plan.layers.push({ name: 'app', holds: `Rust binary ${dest}`, sources: [{ src: bin, dest }] });
  return plan;
}
