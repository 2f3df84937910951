/**
 * Rust: `cargo build --release [--target …]` or `cargo install`. glibc targets need libgcc_s and
 * go on `cc`; musl targets (and Alpine builders) are static. `--cargo-chef` adds a planner stage
 * so dependencies compile in their own cached layer.
 */
import { flagOf, joinPath } from '../dockerfile/parse.ts';
import { flagValue } from '../dockerfile/shell.ts';
import { binaryArtefact, findCommands, isAlpine, locateBinary } from './common.ts';
import { emptyPlan, type Analysis, type Plan, type Strategy } from './types.ts';

function crateName(a: Analysis): string | undefined {
  const t = a.ctx.read('Cargo.toml');
  if (!t) return undefined;
  const bin = /\[\[bin\]\][^[]*?name\s*=\s*"([^"]+)"/.exec(t);
  if (bin) return bin[1];
  return /\[package\][^[]*?name\s*=\s*"([^"]+)"/.exec(t)?.[1];
}

export const rustStrategy: Strategy = {
  language: 'rust',
  plan(a: Analysis, mode): Plan {
    const plan = emptyPlan('cargo', 'cc');
    const chefUsed = findCommands(a, (v) => v[0] === 'cargo' && v[1] === 'chef').length > 0;
    if (chefUsed) plan.buildTool = 'cargo (cargo-chef)';
    const builds = findCommands(a, (v) => v[0] === 'cargo' && (v[1] === 'build' || v[1] === 'install'));
    const name = crateName(a) ?? (a.command?.argv[0] ? a.command.argv[0].split('/').pop() : undefined);
    const outputs: string[] = [];
    let musl = false;
    for (const b of builds) {
      const v = b.cmd.argv;
      const target = flagValue(v, '--target');
      const stage = a.file.stages.find((s) => s.instructions.includes(b.instr));
      if ((target && /musl/.test(target)) || (stage && isAlpine(stage.baseImage))) musl = true;
      if (!name) continue;
      if (v[1] === 'build') {
        const profile = v.includes('--release') || v.includes('-r') ? 'release' : 'debug';
        const tdir = b.cmd.env.CARGO_TARGET_DIR ?? b.instr.vars.CARGO_TARGET_DIR ?? 'target';
        outputs.push(joinPath(b.instr.workdir, `${tdir}/${target ? target + '/' : ''}${profile}/${name}`));
      } else {
        const root = flagValue(v, '--root') ?? b.instr.vars.CARGO_HOME ?? '/usr/local/cargo';
        outputs.push(`${root}/bin/${name}`);
      }
    }
    if (musl) {
      plan.flavour = 'static';
      plan.changes.push({ kind: 'base', reason: 'musl target: the binary is static' });
    } else plan.changes.push({ kind: 'base', reason: 'glibc target: the binary needs libc and libgcc_s, so the cc base is used' });
    if (mode === 'rebase') return binaryArtefact(a, plan, mode, null, '');
    const bin = locateBinary(a, outputs);
    binaryArtefact(a, plan, mode, bin, 'cannot tell where the Rust binary is (no Cargo.toml name and no path in CMD)');
    if (!bin) return plan;
    if (a.opts.cargoChef && !chefUsed) {
      const build = builds.find((b) => b.stage === a.final && b.cmd.argv[1] === 'build');
      const srcCopy = a.final.instructions.find((i) => i.keyword === 'COPY' && !flagOf(i, 'from'));
      if (!build || !srcCopy) plan.warnings.push('--cargo-chef: no `cargo build` after a COPY of the sources in the final stage; cacher stage not added');
      else {
        const w = srcCopy.workdir;
        const target = flagValue(build.cmd.argv, '--target');
        const profile = build.cmd.argv.includes('--release') ? ' --release' : '';
        plan.preStages = [
          `FROM ${a.final.image} AS chef`,
          'RUN cargo install cargo-chef --locked',
          `WORKDIR ${w}`,
          '',
          'FROM chef AS planner',
          'COPY . .',
          'RUN cargo chef prepare --recipe-path recipe.json',
          '',
        ].join('\n');
        plan.builderFrom = 'chef';
        plan.edits.push({ kind: 'insertBefore', instr: srcCopy, text: `COPY --from=planner ${w}/recipe.json recipe.json\nRUN cargo chef cook${profile}${target ? ` --target ${target}` : ''} --recipe-path recipe.json` });
        plan.changes.push({ line: srcCopy.line, kind: 'cargo-chef', reason: 'cargo-chef planner and cook steps: dependencies build in a layer that survives source changes' });
      }
    }
    return plan;
  },
};
