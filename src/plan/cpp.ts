/**
 * C and C++: gcc/g++/clang, make, CMake. A binary linked with `-static` goes on `static`;
 * a dynamic C binary on `base` (glibc), a dynamic C++ one on `cc` (adds libstdc++ and libgcc_s).
 */
import { joinPath } from '../dockerfile/parse.ts';
import { flagValue } from '../dockerfile/shell.ts';
import { binaryArtefact, findCommands, isAlpine, locateBinary, muslArtefact } from './common.ts';
import { emptyPlan, type Analysis, type Plan, type Strategy } from './types.ts';

const COMPILERS = /^(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|x86_64-linux-gnu-gcc)$/;

export const cppStrategy: Strategy = {
  language: 'cpp',
  plan(a: Analysis, mode): Plan {
    const compiles = findCommands(a, (v) => COMPILERS.test(v[0] ?? ''));
    const makes = findCommands(a, (v) => v[0] === 'make' || v[0] === 'cmake' || v[0] === 'ninja');
    const cxx = compiles.some((c) => /\+\+/.test(c.cmd.argv[0] ?? '') || c.cmd.argv.some((x) => /\.(cc|cpp|cxx)$/.test(x))) || a.ctx.files().some((f) => /\.(cc|cpp|cxx|hpp)$/.test(f)) || /project\([^)]*CXX|\.cpp/.test(a.ctx.read('CMakeLists.txt') ?? '');
    const all = [...compiles, ...makes];
    const ldflags = all.map((c) => `${c.cmd.env.LDFLAGS ?? ''} ${c.instr.vars.LDFLAGS ?? ''} ${c.cmd.argv.join(' ')}`).join(' ');
    const isStatic = /(^|\s|=)-static(\s|$)/.test(ldflags) || /-static\b/.test(a.ctx.read('Makefile') ?? '');
    const plan = emptyPlan(makes.length ? (makes.some((m) => m.cmd.argv[0] === 'cmake') ? 'cmake' : 'make') : cxx ? 'g++' : 'gcc', isStatic ? 'static' : 'cc');
    // Dynamic C goes on cc too: libgcc_s is what glibc loads for unwinding (pthread_cancel, C++ libraries a C program links).
    plan.changes.push({ kind: 'base', reason: isStatic ? 'linked with -static: no libc needed' : cxx ? 'dynamically linked C++: needs glibc, libstdc++ and libgcc_s (cc base)' : 'dynamically linked: needs glibc and possibly libgcc_s (cc base)' });
    // A dynamic build on Alpine links musl: moved to Debian, or refused.
    if (!isStatic) for (const c of all) if (isAlpine(c.stage.baseImage)) muslArtefact(a, c.stage, plan, 'the dynamically linked binary');
    // Each output joined with the WORKDIR of the compile that wrote it.
    const outputs = compiles.flatMap((c) => {
      const o = flagValue(c.cmd.argv, '-o');
      return o ? [joinPath(c.instr.workdir, o)] : [];
    });
    return binaryArtefact(a, plan, mode, mode === 'rebase' ? null : locateBinary(a, outputs), 'cannot tell where the compiled binary is (no -o and no path in CMD)');
  },
};
