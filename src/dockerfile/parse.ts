/**
 * Dockerfile text -> DockerfileModel, the project's one Dockerfile front-end, over dockerfile-ast
 * (which handles the escape directive, continuations, heredocs and comments). We add what lint,
 * convert and the run plan need: ARG scoping (global ARGs are visible in a stage only when
 * redeclared there, and no ARG outlives its stage), ENV and WORKDIR state per instruction,
 * stage-alias links, the config each stage inherits along its FROM chain, exec vs shell form,
 * `--mount` options and `# distill-ignore` comments.
 */
import { DockerfileParser, type Instruction as AstInstruction } from 'dockerfile-ast';
import { parseImageRef } from './bases.ts';
import type { DockerfileModel, Flag, Heredoc, Instruction, Mount, Stage, StageConfig } from './model.ts';
import { splitCommands, type SimpleCommand } from './shell.ts';

const IGNORE_RE = /^\s*#\s*distill-ignore\s*[: ]\s*([A-Za-z0-9_,\s-]+)$/i;

/** The rule ids named by a `# distill-ignore DL1001,DL1002` comment line, or null. */
export function ignoreComment(line: string): string[] | null {
  const m = IGNORE_RE.exec(line);
  if (!m) return null;
  return (m[1] ?? '').split(/[\s,]+/).map((s) => s.trim().toUpperCase()).filter(Boolean);
}

/** Substitutes `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alt}` from `vars`; unknown ones stay. */
export function substituteVars(s: string, vars: Record<string, string | undefined>): string {
  return s.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const v = vars[name];
    if (op === '-') return v !== undefined && v !== '' ? v : (word ?? '');
    if (op === '+') return v !== undefined && v !== '' ? (word ?? '') : '';
    return v !== undefined ? v : whole;
  });
}

function parseExec(args: string): string[] | null {
  const t = args.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // Docker runs a malformed JSON array as a shell command, so do we.
  }
  return null;
}

/** Instructions whose JSON-array form is exec form. */
const EXEC_KEYWORDS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'HEALTHCHECK']);

function parseMount(value: string): Mount {
  const options: Record<string, string> = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) options[part.trim()] = 'true';
    else options[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { type: options.type ?? 'bind', options };
}

/** Splits leading `--flag[=value]` words off an argument string (after continuations are joined). */
function splitFlags(s: string): { flags: Flag[]; rest: string } {
  const flags: Flag[] = [];
  let rest = s.trimStart();
  for (;;) {
    const m = /^--([A-Za-z][A-Za-z0-9-]*)(?:=("[^"]*"|'[^']*'|\S*))?(\s+|$)/.exec(rest);
    if (!m) break;
    let value = m[2] ?? null;
    if (value && /^["'].*["']$/.test(value)) value = value.slice(1, -1);
    flags.push({ name: (m[1] ?? '').toLowerCase(), value });
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** Parses Dockerfile text into stages and instructions; never throws on odd input. */
export function parseDockerfile(text: string): DockerfileModel {
  const df = DockerfileParser.parse(text);
  const lines = text.split(/\r?\n/);
  const escape = df.getEscapeCharacter();
  const instrs = df.getInstructions();
  const firstLine = instrs.length > 0 ? instrs[0]!.getRange().start.line : lines.length;

  const fileIgnore: string[] = [];
  for (let i = 0; i < firstLine; i++) fileIgnore.push(...(ignoreComment(lines[i] ?? '') ?? []));

  const model: DockerfileModel = { escape, globalArgs: {}, stages: [], instructions: [], fileIgnore, text, lines };
  const aliases = new Map<string, number>();
  let stage: Stage | null = null;
  let state: StageState = emptyState();

  for (const ins of instrs) {
    const instr = readInstruction(ins, lines, firstLine, stage ? stage.index : -1, state);
    model.instructions.push(instr);
    if (instr.keyword === 'FROM') {
      if (stage) finishStage(stage, state);
      stage = newStage(model, instr, aliases);
      state = startState(stage.parent);
      instr.vars = {};
      instr.workdir = state.workdir;
      continue;
    }
    if (!stage) {
      if (instr.keyword === 'ARG') {
        for (const [name, value] of Object.entries(argDeclarations(instr.args))) {
          model.globalArgs[name] = value === undefined ? undefined : substituteVars(value, model.globalArgs);
        }
      }
      continue;
    }
    stage.instructions.push(instr);
    applyInstruction(instr, state, model.globalArgs);
  }
  if (stage) finishStage(stage, state);
  return model;
}

/** What a stage's instructions change as they run: ARGs, ENV, WORKDIR and the image config. */
interface StageState {
  args: Record<string, string>;
  config: StageConfig;
  workdir: string;
}

function emptyConfig(): StageConfig {
  return { entrypoint: null, cmd: null, healthcheck: null, user: null, workdir: '/', env: {}, expose: [], labels: [], stopsignal: null, volumes: [], onbuild: [] };
}

function emptyState(): StageState {
  return { args: {}, config: emptyConfig(), workdir: '/' };
}

/** A stage FROM another starts with its config (ONBUILD triggers are consumed, not inherited); ARGs never carry over. */
function startState(parent: Stage | null): StageState {
  if (!parent) return emptyState();
  const c = parent.config;
  return { args: {}, workdir: c.workdir, config: { ...c, env: { ...c.env }, expose: [...c.expose], labels: [...c.labels], volumes: [...c.volumes], onbuild: [] } };
}

function varsOf(state: StageState): Record<string, string> {
  return { ...state.args, ...state.config.env };
}

function readInstruction(ins: AstInstruction, lines: string[], firstLine: number, stageIndex: number, state: StageState): Instruction {
  const range = ins.getRange();
  const keyword = ins.getKeyword().toUpperCase();
  // Continuations joined; dockerfile-ast strips escape+newline in getArgumentsContent.
  let content = ins.getArgumentsContent() ?? '';
  const heredocs: Heredoc[] = [];
  if ((keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') && 'getHeredocs' in ins) {
    for (const h of (ins as unknown as { getHeredocs(): { getName(): string; getContentRange(): { start: { line: number }; end: { line: number } } | null }[] }).getHeredocs()) {
      const cr = h.getContentRange();
      const body = cr ? lines.slice(cr.start.line, cr.end.line + 1).join('\n') : '';
      heredocs.push({ name: h.getName(), body });
    }
    if (heredocs.length > 0) {
      // Keep only the command line itself: heredoc bodies are in `heredocs`.
      content = (lines[range.start.line] ?? '').replace(/^\s*\S+\s*/, '');
    }
  }
  const split = splitFlags(content);
  const rest = split.rest;
  // dockerfile-ast leaves flags of RUN/COPY/ADD/FROM/HEALTHCHECK out of the argument content.
  const astFlags = 'getFlags' in ins ? (ins as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags() : [];
  const flags: Flag[] = [...astFlags.map((f) => ({ name: f.getName().toLowerCase(), value: f.getValue() })), ...split.flags].filter(
    (f, i, all) => all.findIndex((g) => g.name === f.name && g.value === f.value) === i,
  );
  const exec = parseExec(rest);
  // Lines above the instruction: contiguous comment lines may carry distill-ignore.
  const ignore: string[] = [];
  for (let l = range.start.line - 1; l >= 0 && range.start.line > firstLine; l--) {
    const t = lines[l] ?? '';
    if (!/^\s*#/.test(t)) break;
    ignore.push(...(ignoreComment(t) ?? []));
  }
  return {
    keyword,
    line: range.start.line + 1,
    endLine: range.end.line + 1,
    args: rest.trim(),
    flags,
    form: exec ? 'exec' : 'shell',
    exec,
    ...(!exec && /^\[/.test(rest.trim()) && EXEC_KEYWORDS.has(keyword) ? { malformedExec: true as const } : {}),
    heredocs,
    mounts: flags.filter((f) => f.name === 'mount' && f.value).map((f) => parseMount(f.value ?? '')),
    stage: stageIndex,
    ignore,
    raw: lines.slice(range.start.line, range.end.line + 1).join('\n'),
    vars: varsOf(state),
    workdir: state.workdir,
  };
}

function newStage(model: DockerfileModel, from: Instruction, aliases: Map<string, number>): Stage {
  const words = from.args.split(/\s+/).filter(Boolean);
  const image = words[0] ?? '';
  const asIdx = words.findIndex((w) => w.toLowerCase() === 'as');
  const alias = asIdx >= 0 ? (words[asIdx + 1] ?? null) : null;
  const resolvedImage = substituteVars(image, model.globalArgs);
  const parentStage = aliases.get(resolvedImage.toLowerCase()) ?? null;
  const parent = parentStage === null ? null : (model.stages[parentStage] ?? null);
  const index = model.stages.length;
  from.stage = index;
  const stage: Stage = {
    index, from, image, resolvedImage, ref: parseImageRef(resolvedImage), alias, platform: flagOf(from, 'platform') ?? null, parentStage, instructions: [],
    parent, baseImage: parent ? parent.baseImage : resolvedImage, endVars: {}, endWorkdir: '/', config: emptyConfig(),
  };
  model.stages.push(stage);
  if (alias) aliases.set(alias.toLowerCase(), index);
  return stage;
}

function finishStage(stage: Stage, state: StageState): void {
  stage.endVars = varsOf(state);
  stage.endWorkdir = state.workdir;
  stage.config = { ...state.config, workdir: state.workdir };
}

/** Updates ARG/ENV/WORKDIR and the image config for one instruction of a stage. */
function applyInstruction(instr: Instruction, state: StageState, globalArgs: Record<string, string | undefined>): void {
  const c = state.config;
  switch (instr.keyword) {
    case 'ARG':
      // A bare `ARG NAME` inside a stage takes the global default (or nothing): Docker's scoping.
      for (const [name, value] of Object.entries(argDeclarations(instr.args))) {
        state.args[name] = value !== undefined ? substituteVars(value, varsOf(state)) : (globalArgs[name] ?? '');
      }
      break;
    case 'ENV':
      for (const [k, v] of Object.entries(parseKeyValues(instr.args, false))) c.env[k] = substituteVars(v, varsOf(state));
      break;
    case 'WORKDIR':
      state.workdir = joinPath(state.workdir, substituteVars(unquote(instr.args.trim()), varsOf(state)));
      break;
    case 'ENTRYPOINT':
      c.entrypoint = instr;
      // Docker: setting ENTRYPOINT resets a CMD inherited from the base (not one set in this stage).
      if (c.cmd && c.cmd.stage !== instr.stage) c.cmd = null;
      break;
    case 'CMD':
      c.cmd = instr;
      break;
    case 'HEALTHCHECK':
      c.healthcheck = instr;
      break;
    case 'USER':
      c.user = substituteVars(instr.args.trim(), varsOf(state));
      break;
    case 'EXPOSE':
      for (const w of substituteVars(instr.args, varsOf(state)).split(/\s+/).filter(Boolean)) if (!c.expose.includes(w)) c.expose.push(w);
      break;
    case 'LABEL':
      c.labels.push(instr);
      break;
    case 'STOPSIGNAL':
      c.stopsignal = instr;
      break;
    case 'VOLUME':
      c.volumes.push(instr);
      break;
    case 'ONBUILD':
      c.onbuild.push(instr);
      break;
  }
}

/** `ARG A=1 B` -> { A: '1', B: undefined } (quotes removed). */
function argDeclarations(args: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const word of args.trim().split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    if (eq < 0) out[word] = undefined;
    else out[word.slice(0, eq)] = unquote(word.slice(eq + 1));
  }
  return out;
}

function unquote(s: string): string {
  return s.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
}

/** The value of a `--name[=value]` flag of an instruction (`''` for a bare flag), or undefined. */
export function flagOf(instr: Instruction, name: string): string | undefined {
  const f = instr.flags.find((x) => x.name === name);
  return f ? (f.value ?? '') : undefined;
}

/** Parses `K=V K2="v 2"` (or legacy `K V`) pairs of ENV/ARG/LABEL. */
export function parseKeyValues(rest: string, isArg: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const t = rest.trim();
  if (!t.includes('=') && !isArg) {
    const m = /^(\S+)\s+(.*)$/.exec(t);
    if (m) out[m[1]!] = unquote((m[2] ?? '').trim());
    return out;
  }
  const re = /([A-Za-z_][A-Za-z0-9_.-]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g;
  for (const m of t.matchAll(re)) {
    const v = m[2] ?? '';
    out[m[1]!] = v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : unquote(v);
  }
  return out;
}

/** POSIX path join where an absolute `b` wins; `..` never climbs above `/`. */
export function joinPath(a: string, b: string): string {
  if (!b) return a;
  const p = b.startsWith('/') ? b : `${a.replace(/\/$/, '')}/${b}`;
  const parts: string[] = [];
  for (const s of p.split('/')) {
    if (!s || s === '.') continue;
    if (s === '..') parts.pop();
    else parts.push(s);
  }
  return '/' + parts.join('/');
}

/** The shell commands of a RUN instruction (heredoc bodies included). */
export function runCommands(ins: Instruction): SimpleCommand[] {
  if (ins.exec) return [{ env: {}, argv: ins.exec }];
  const cmds: SimpleCommand[] = [];
  const head = ins.args.replace(/<<-?\s*["']?[A-Za-z_][A-Za-z0-9_]*["']?/g, ' ');
  cmds.push(...splitCommands(head));
  for (const h of ins.heredocs) cmds.push(...splitCommands(h.body));
  return cmds.filter((c) => !(c.argv[0] === 'set' || c.argv[0] === '#!/bin/sh' || c.argv[0] === '#!/bin/bash'));
}

/** The stage `--target` names (alias or index), the last stage when none is given, null when none matches. */
export function targetStage(model: DockerfileModel, target?: string): Stage | null {
  if (!target) return model.stages[model.stages.length - 1] ?? null;
  const t = target.toLowerCase();
  return model.stages.find((s) => s.alias?.toLowerCase() === t || String(s.index) === t) ?? null;
}

/** The stages from the root of `stage`'s FROM chain to `stage` itself (last). */
export function stageChain(stage: Stage): Stage[] {
  const out: Stage[] = [];
  for (let s: Stage | null = stage; s && out.length < 1000; s = s.parent) out.unshift(s);
  return out;
}
