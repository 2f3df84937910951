/**
 * The shape every lint rule has (metadata + a check over the parsed Dockerfile) and the shared
 * context the checks read: the final stage, each stage's external base, the effective user, and
 * the shell text of RUN instructions split into simple commands.
 */
import { classifyBase, type BaseInfo, type ImageRef } from '../bases.ts';
import type { DockerfileModel, Instruction, Stage } from '../model.ts';

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

/** The shell text a RUN executes: its command line, heredoc bodies, or exec argv joined. */
export function runText(ins: Instruction): string {
  const parts: string[] = [];
  if (ins.exec) parts.push(ins.exec.join(' '));
  else parts.push(ins.args);
  for (const h of ins.heredocs) parts.push(h.body);
  return parts.join('\n');
}

/** Splits shell text into simple commands at `&&`, `||`, `;`, `|` and newlines (quotes respected). */
export function simpleCommands(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote) {
      cur += c;
      if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      cur += c;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\n') {
      i++;
      cur += ' ';
      continue;
    }
    if (c === ';' || c === '\n' || c === '|' || (c === '&' && text[i + 1] === '&')) {
      if (c === '&' || (c === '|' && text[i + 1] === '|')) i++;
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur.trim());
  return out.filter(Boolean);
}

/** Words of a simple command, with quotes removed and `sudo`/`env X=Y` prefixes kept. */
export function words(cmd: string): string[] {
  return (cmd.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
}

type Run = { ins: Instruction; text: string; cmds: string[] };
// Most rules walk the RUNs; split each one only once per lint.
const runCache = new WeakMap<Stage, Run[]>();

/** RUN instructions of a stage with their simple commands. */
export function runs(stage: Stage): Run[] {
  let r = runCache.get(stage);
  if (!r) {
    r = stage.instructions
      .filter((i) => i.keyword === 'RUN')
      .map((ins) => {
        const text = runText(ins);
        return { ins, text, cmds: simpleCommands(text) };
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
