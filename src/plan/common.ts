/** Helpers the language strategies share: versions from image tags, binary artefacts, Alpine builders. */
import { joinPath, stageChain } from '../dockerfile/parse.ts';
import { alpineToDebian } from './alpine.ts';
import type { Instruction, Stage } from '../dockerfile/model.ts';
import { splitImage } from '../oci/docker-ref.ts';
import type { Analysis, Plan } from './types.ts';
import type { SimpleCommand } from '../dockerfile/shell.ts';

/** Every shell command of the file that satisfies `pred`, with its instruction. */
export function findCommands(a: Analysis, pred: (argv: string[]) => boolean): { stage: Stage; instr: Instruction; cmd: SimpleCommand }[] {
  return a.commands.filter((c) => pred(c.cmd.argv));
}

/** The first capture of `re` on the tag of any stage image matching `nameRe`, preferring later stages. */
export function versionFromImages(a: Analysis, nameRe: RegExp, tagRe: RegExp): string | undefined {
  for (const st of [...a.file.stages].reverse()) {
    const { name, tag } = splitImage(st.baseImage);
    if (!nameRe.test(name) || !tag) continue;
    const m = tagRe.exec(tag);
    if (m) return m[1];
  }
  return undefined;
}

/** True for Alpine-based images (musl libc), by tag or name. */
export function isAlpine(ref: string): boolean {
  return /alpine/.test(ref);
}

/**
 * An Alpine builder produces musl binaries and native modules, which fail on glibc distroless
 * bases: the builder moves to Debian (alpine.ts's tables), else a warning says why it could not.
 * The final stage of a rebase becomes the distroless base itself and is left to the rebase.
 */
export function debianBuilder(a: Analysis, stage: Stage, plan: Plan, mode: 'build' | 'rebase'): void {
  const root = stageChain(stage)[0]!;
  if (!isAlpine(root.baseImage) || (mode === 'rebase' && root === a.final)) return;
  const why = alpineToDebian(a, stage, plan, 'Alpine builds link musl');
  if (why) plan.warnings.push(`stage on ${root.baseImage} builds against musl (Alpine) and cannot be moved to Debian (${why}); native modules or binaries from it may not load on the glibc distroless base — build on the Debian variant`);
}

/** A musl build whose output cannot run on glibc: moved to Debian, or the refusal that says why not. */
export function muslArtefact(a: Analysis, stage: Stage, plan: Plan, what: string): void {
  const root = stageChain(stage)[0]!;
  if (!isAlpine(root.baseImage) || plan.refusal) return;
  const why = alpineToDebian(a, stage, plan, `${what} built on Alpine links musl`);
  if (why) plan.refusal = { cls: 'musl', reason: `${what} is built on ${root.baseImage} and links musl: it cannot start on a glibc distroless base, and the builder cannot be moved to Debian (${why}); build it on the Debian variant or link it statically` };
}

/** The stage that produces `path` (absolute) via the given outputs, else the final stage. */
export function absolute(workdir: string, p: string): string {
  return joinPath(workdir, p);
}

/**
 * Where a compiled binary is: the command's argv[0] when it is a path, else the build output
 * with that base name, else the only build output.
 */
export function locateBinary(a: Analysis, outputs: string[]): string | null {
  const a0 = a.command?.argv[0];
  if (a0 && a0.includes('/')) return joinPath(a.workdir, a0);
  if (a0) {
    const hit = outputs.find((o) => o.split('/').pop() === a0);
    if (hit) return hit;
    // A bare name run from PATH: look for where the final stage copies it.
    for (const i of a.final.instructions) {
      if (i.keyword !== 'COPY' && i.keyword !== 'ADD') continue;
      const words = i.exec ?? i.args.split(/\s+/);
      const dst = words[words.length - 1];
      if (dst === undefined) continue; // an empty exec-form COPY copies nothing
      const srcs = words.slice(0, -1);
      if (srcs.some((s) => s.split('/').pop() === a0)) return dst.endsWith('/') ? joinPath(joinPath(i.workdir, dst), a0) : joinPath(i.workdir, dst);
    }
    return null;
  }
  return outputs.length === 1 ? outputs[0]! : null;
}

/** Exec form for a binary, keeping the ENTRYPOINT/CMD split of the original. */
export function binaryRun(a: Analysis, path: string): Plan['run'] {
  const argv = a.command?.argv ?? [];
  const rest = argv.slice(1);
  const entryLen = a.command?.entryLen ?? 0;
  if (!a.command || entryLen > 0) return { kind: 'exec', entrypoint: [path, ...rest.slice(0, Math.max(0, entryLen - 1))], cmd: rest.slice(Math.max(0, entryLen - 1)) };
  return { kind: 'exec', entrypoint: [], cmd: [path, ...rest] };
}

/** The words of a COPY/ADD: sources then destination (exec form as written; flags excluded). */
export function copyWords(i: Instruction): string[] {
  return i.exec ?? i.args.split(/\s+/).filter(Boolean);
}

/** Adds a step unless the stage's text already has it (idempotence). */
export function addStep(plan: Plan, a: Analysis, text: string, reason: string): void {
  if (a.final.instructions.some((i) => i.raw.includes(text.replace(/^RUN /, '')))) return;
  plan.builderSteps.push({ text, reason });
}

/**
 * How a compiled binary reaches the runtime, shared by the Go, Rust and C/C++ strategies: in
 * rebase mode the command's own program runs as it is; otherwise only the located binary is
 * copied from the builder and run, or the plan says why it cannot tell where the binary is.
 */
export function binaryArtefact(a: Analysis, plan: Plan, mode: 'build' | 'rebase', bin: string | null, missing: string, copyReason = 'only the compiled binary'): Plan {
  if (mode === 'rebase') {
    if (a.command?.argv[0] !== undefined) plan.run = binaryRun(a, a.command.argv[0]);
    return plan;
  }
  if (!bin) {
    plan.warnings.push(missing);
    return plan;
  }
  plan.copies.push({ src: bin, dst: bin, reason: copyReason });
  plan.run = binaryRun(a, bin);
  return plan;
}
