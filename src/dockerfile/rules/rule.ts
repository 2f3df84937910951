/**
 * The shape every lint rule has (metadata + a check over the parsed Dockerfile) and the shared
 * context the checks read: the final stage, each stage's external base, the effective user, and
 * the shell text of RUN instructions split into simple commands (by the one shell reader, ../shell.ts).
 */
import { classifyBase, type BaseInfo, type ImageRef } from '../bases.ts';
import type { DockerfileModel, Instruction, Stage } from '../model.ts';
import { shellCommands, type ShellCommand } from '../shell.ts';

export type Severity = 'error' | 'warning' | 'info';

/** A finding before the file name and rule metadata are attached. */
export interface RawFinding {
  line: number;
  message: string;
  /** Overrides the rule's default severity (e.g. `no tag` vs `no digest`). */
  severity?: Severity;
  fix?: string;
}

export interface Rule {
  id: string;
  /** Short kebab-case name, used in SARIF and docs. */
  name: string;
  severity: Severity;
  /** One line: what the rule finds. */
  description: string;
  /** One line: how to fix it. */
  fix: string;
  check(ctx: LintContext): RawFinding[];
}

export interface LintContext {
  model: DockerfileModel;
  /** The stage the image is built to: the last one, or `--target`. */
  final: Stage | null;
  /** Whether a .dockerignore sits next to the Dockerfile; undefined when not known (stdin). */
  dockerignorePresent?: boolean;
  /** The external image a stage is ultimately built on (following `FROM <alias>` chains). */
  rootRef(stage: Stage): ImageRef;
  base(stage: Stage): BaseInfo;
  /** Stages from the root of the chain to `stage` (itself last). */
  chain(stage: Stage): Stage[];
}

/** Builds the context for a parsed file; `target` names the stage to treat as final. */
export function makeContext(model: DockerfileModel, opts: { target?: string; dockerignorePresent?: boolean } = {}): LintContext {
  let final: Stage | null = model.stages[model.stages.length - 1] ?? null;
  if (opts.target) {
    const t = opts.target.toLowerCase();
    final = model.stages.find((s) => s.alias?.toLowerCase() === t || String(s.index) === t) ?? final;
  }
  const chain = (stage: Stage): Stage[] => {
    const out: Stage[] = [stage];
    let cur = stage;
    while (cur.parentStage !== null && cur.parentStage !== undefined && out.length <= model.stages.length) {
      const p = model.stages[cur.parentStage];
      if (!p) break;
      out.unshift(p);
      cur = p;
    }
    return out;
  };
  const rootRef = (stage: Stage): ImageRef => (chain(stage)[0] ?? stage).ref;
  const cache = new Map<number, BaseInfo>();
  const base = (stage: Stage): BaseInfo => {
    let b = cache.get(stage.index);
    if (!b) {
      const r = rootRef(stage);
      // An ARG we could not resolve leaves `$`: we then know nothing about the base.
      b = /\$/.test(r.name) ? classifyBase('$unresolved') : classifyBase(r);
      cache.set(stage.index, b);
    }
    return b;
  };
  return { model, final, dockerignorePresent: opts.dockerignorePresent, rootRef, base, chain };
}

/** A stage's image for messages: name and tag, without the long digest. */
export function shortImage(stage: Stage): string {
  const r = stage.ref;
  return /\$/.test(stage.resolvedImage) ? stage.image : `${r.name}${r.tag ? `:${r.tag}` : ''}${r.digest ? '@…' : ''}`;
}

/** The shell texts a RUN executes: its command line (or exec argv joined), then each heredoc body. */
function runParts(ins: Instruction): string[] {
  return [ins.exec ? ins.exec.join(' ') : ins.args, ...ins.heredocs.map((h) => h.body)];
}

/** A RUN with its whole shell text (for rules that match across commands) and its simple commands. */
export type Run = { ins: Instruction; text: string; cmds: ShellCommand[] };
// Most rules walk the RUNs; split each one only once per lint.
const runCache = new WeakMap<Stage, Run[]>();

/** RUN instructions of a stage with their simple commands. */
export function runs(stage: Stage): Run[] {
  let r = runCache.get(stage);
  if (!r) {
    r = stage.instructions
      .filter((i) => i.keyword === 'RUN')
      .map((ins) => {
        // Each part on its own: a stray quote in one heredoc body must not swallow the next.
        const parts = runParts(ins);
        return { ins, text: parts.join('\n'), cmds: parts.flatMap(shellCommands) };
      });
    runCache.set(stage, r);
  }
  return r;
}

/** All RUNs of every stage. */
export function allRuns(model: DockerfileModel): (Run & { stage: Stage })[] {
  return model.stages.flatMap((stage) => runs(stage).map((r) => ({ ...r, stage })));
}

/** The last instruction with `keyword` across a stage chain (later stages win). */
export function lastIn(stages: Stage[], keyword: string): Instruction | null {
  for (let s = stages.length - 1; s >= 0; s--) {
    const ins = stages[s]?.instructions ?? [];
    for (let i = ins.length - 1; i >= 0; i--) if (ins[i]?.keyword === keyword) return ins[i] ?? null;
  }
  return null;
}
