/**
 * Go: `go build -o`, `go install`, `go run`. A binary built with CGO_ENABLED=0 (or on a builder
 * without a C compiler) is static and goes on `static`; otherwise it links glibc and goes on `base`.
 */
import { joinPath, runCommands } from '../dockerfile/parse.ts';
import type { Instruction } from '../dockerfile/model.ts';
import { flagValue } from '../dockerfile/shell.ts';
import { binaryArtefact, findCommands, isAlpine, locateBinary, muslArtefact } from './common.ts';
import { emptyPlan, type Analysis, type Plan, type Strategy } from './types.ts';

function moduleName(a: Analysis): string | undefined {
  const m = /^module\s+(\S+)/m.exec(a.ctx.read('go.mod') ?? '');
  return m?.[1]!.split('/').pop();
}

function isStatic(a: Analysis, instr: Instruction, env: Record<string, string>, argv: string[]): boolean {
  if ((env.CGO_ENABLED ?? instr.vars.CGO_ENABLED) === '0') return true;
  if (/-extldflags[= ]?['"]?-static/.test(argv.join(' '))) return true;
  if ((env.CGO_ENABLED ?? instr.vars.CGO_ENABLED) === '1') return false;
  // Since Go 1.20 cgo is off when no C compiler is installed, as on the Alpine golang images.
  const stage = a.file.stages.find((s) => s.instructions.includes(instr));
  if (stage && isAlpine(stage.baseImage)) {
    const gcc = stage.instructions.some((i) => i.keyword === 'RUN' && runCommands(i).some((c) => c.argv[0] === 'apk' && c.argv.some((p) => /^(gcc|build-base|musl-dev)$/.test(p))));
    return !gcc;
  }
  return false;
}

export const goStrategy: Strategy = {
  language: 'go',
  plan(a: Analysis, mode): Plan {
    const plan = emptyPlan('go', 'static');
    const builds = findCommands(a, (v) => v[0] === 'go' && (v[1] === 'build' || v[1] === 'install'));
    const outputs: string[] = [];
    let allStatic = builds.length > 0;
    for (const b of builds) {
      const v = b.cmd.argv;
      const name = moduleName(a) ?? undefined;
      if (v[1] === 'build') {
        const o = flagValue(v, '-o');
        if (o) outputs.push(joinPath(b.instr.workdir, o));
        else if (name) outputs.push(joinPath(b.instr.workdir, name));
      } else {
        const gobin = b.cmd.env.GOBIN ?? b.instr.vars.GOBIN ?? `${b.instr.vars.GOPATH ?? '/go'}/bin`;
        const pkg = v.slice(2).find((x) => !x.startsWith('-'));
        const n = pkg && pkg !== '.' && pkg !== './...' ? pkg.replace(/@.*$/, '').replace(/\/\.\.\.$/, '').split('/').pop() : name;
        if (n) outputs.push(`${gobin}/${n}`);
      }
      if (!isStatic(a, b.instr, b.cmd.env, v)) {
        allStatic = false;
        // A cgo binary built on Alpine links musl dynamically.
        if (mode === 'build' || b.stage !== a.final) muslArtefact(a, b.stage, plan, 'the cgo Go binary');
      }
    }
    const goRun = a.command && a.command.argv[0] === 'go' && a.command.argv[1] === 'run';
    if (goRun && mode === 'build') {
      const target = a.command!.argv.slice(2).find((x) => !x.startsWith('-')) ?? '.';
      const rest = a.command!.argv.slice(a.command!.argv.indexOf(target) + 1);
      plan.builderSteps.push({ text: `RUN CGO_ENABLED=0 go build -o /usr/local/bin/app ${target}`, reason: '`go run` compiles at every start and needs the toolchain; the binary is built once instead' });
      plan.copies.push({ src: '/usr/local/bin/app', dst: '/usr/local/bin/app', reason: 'the compiled binary' });
      plan.run = { kind: 'exec', entrypoint: ['/usr/local/bin/app'], cmd: rest };
      return plan;
    }
    if (!allStatic) {
      plan.flavour = 'base';
      plan.changes.push({ kind: 'base', reason: builds.length ? 'the go build does not set CGO_ENABLED=0, so the binary may link glibc: the glibc base is used (set CGO_ENABLED=0 to run on static)' : 'no go build step found: the glibc base is used' });
    }
    return binaryArtefact(a, plan, mode, locateBinary(a, outputs), 'cannot tell where the Go binary is (no `go build -o` and no path in CMD)', 'only the compiled binary (add other runtime files, such as templates, explicitly)');
  },
};
