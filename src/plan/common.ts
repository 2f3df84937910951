/** Helpers the language strategies share: versions from image tags, binary artefacts, Alpine builders. */
import { joinPath, runCommands } from '../dockerfile/parse.ts';
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
 * bases. When the stage never calls apk, swap it for the Debian variant of the same tag;
 * otherwise warn.
 */
export function debianBuilder(a: Analysis, stage: Stage, plan: Plan, debianTag: (tag: string) => string | null): void {
  if (!isAlpine(stage.baseImage) || stage.parent) return;
  const usesApk = stage.instructions.some((i) => i.keyword === 'RUN' && runCommands(i).some((c) => c.argv[0] === 'apk'));
  const { name, tag } = splitImage(stage.image);
  const nt = tag ? debianTag(tag) : null;
  if (usesApk || !nt || stage.image.includes('$')) {
    plan.warnings.push(`stage on ${stage.baseImage} builds against musl (Alpine); native modules or binaries from it may not load on the glibc distroless base — build on the Debian variant`);
    return;
  }
  const newImage = `${name}:${nt}`;
  plan.imageSwaps.push({ instr: stage.from, image: newImage });
  plan.changes.push({ line: stage.from.line, kind: 'builder-base', reason: `${stage.image} -> ${newImage}: Alpine builds link musl; the distroless base is Debian (glibc), so build on Debian` });
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
