/**
 * The converter's view of a Dockerfile, read with dockerfile-ast: stages, each instruction with
 * its exact source lines (so edits keep the user's formatting), flags, exec-form argv, heredoc
 * bodies, and the ARG/ENV/WORKDIR state at each point of a stage.
 */
import { DockerfileParser } from 'dockerfile-ast';
import { splitCommands, substitute, type SimpleCommand } from './shell.ts';

export interface Instr {
  keyword: string;
  /** 0-based first and last source line (heredoc bodies and continuations included). */
  start: number;
  end: number;
  /** The instruction's source text, exactly as written. */
  raw: string;
  /** Flags such as `--from=build`, `--chown=…` (name without dashes -> value). */
  flags: Record<string, string>;
  /** Arguments after the keyword and flags, continuations joined. */
  rest: string;
  /** The JSON array when the instruction is in exec form. */
  json: string[] | null;
  /** Heredoc bodies (RUN <<EOF … EOF). */
  heredocs: string[];
  /** WORKDIR in effect when the instruction runs. */
  workdir: string;
  /** ENV and ARG values in effect (ARG defaults only). */
  vars: Record<string, string>;
}

export interface Stage {
  index: number;
  from: Instr;
  /** The image as written and with ARG defaults substituted. */
  image: string;
  resolvedImage: string;
  name: string | null;
  /** The earlier stage this one is built FROM (its files, ENV and WORKDIR carry over), if any. */
  parent: Stage | null;
  instrs: Instr[];
  /** 0-based line of FROM and last line before the next FROM. */
  start: number;
  end: number;
  /** ENV/ARG values and WORKDIR at the end of the stage. */
  endVars: Record<string, string>;
  endWorkdir: string;
}

export interface ParsedDockerfile {
  text: string;
  lines: string[];
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Parses Dockerfile text; throws an Error with a readable message when there is no FROM. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const df = DockerfileParser.parse(text);
  const lines = text.split('\n');
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  let cur: Stage | null = null;
  let vars: Record<string, string> = {};
  let workdir = '/';
  for (const ins of df.getInstructions()) {
    const r = ins.getRange();
    const keyword = ins.getKeyword().toUpperCase();
    const raw = lines.slice(r.start.line, r.end.line + 1).join('\n');
    const { flags, rest, heredocs } = splitInstruction(raw, keyword);
    const json = parseJsonForm(rest);
    const instr: Instr = { keyword, start: r.start.line, end: r.end.line, raw, flags, rest, json, heredocs, workdir, vars: { ...vars } };
    if (keyword === 'FROM') {
      const words = rest.split(/\s+/).filter(Boolean);
      const image = words[0] ?? '';
      const asIdx = words.findIndex((w) => w.toLowerCase() === 'as');
      const name = asIdx >= 0 ? (words[asIdx + 1] ?? null) : null;
      if (cur) {
        cur.end = r.start.line - 1;
        cur.endVars = { ...vars };
        cur.endWorkdir = workdir;
      }
      const resolved = substitute(image, globalArgs);
      const parent = stages.find((st) => st.name !== null && st.name.toLowerCase() === resolved.toLowerCase()) ?? null;
      vars = parent ? { ...parent.endVars } : { ...globalArgs };
      workdir = parent ? parent.endWorkdir : '/';
      instr.vars = { ...vars };
      instr.workdir = workdir;
      // A stage built FROM another stage runs on that stage's external image.
      cur = { index: stages.length, from: instr, image, resolvedImage: parent ? parent.resolvedImage : resolved, name, parent, instrs: [], start: r.start.line, end: lines.length - 1, endVars: {}, endWorkdir: '/' };
      stages.push(cur);
      continue;
    }
    if (!cur) {
      if (keyword === 'ARG') Object.assign(globalArgs, parseKeyValues(rest, true));
      continue;
    }
    cur.instrs.push(instr);
    if (keyword === 'ARG') {
      for (const [k, v] of Object.entries(parseKeyValues(rest, true))) vars[k] = v || globalArgs[k] || '';
    } else if (keyword === 'ENV') {
      for (const [k, v] of Object.entries(parseKeyValues(rest, false))) vars[k] = substitute(v, vars);
    } else if (keyword === 'WORKDIR') {
      const w = substitute(unquote(rest.trim()), vars);
      workdir = joinPath(workdir, w);
    }
  }
  if (!cur) throw new Error('no FROM instruction: not a Dockerfile');
  cur.endVars = { ...vars };
  cur.endWorkdir = workdir;
  return { text, lines, globalArgs, stages };
}

function splitInstruction(raw: string, keyword: string): { flags: Record<string, string>; rest: string; heredocs: string[] } {
  const rawLines = raw.split('\n');
  const heredocs: string[] = [];
  let head = rawLines[0];
  const hd = [...head.matchAll(/<<-?\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?/g)];
  if (hd.length && (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD')) {
    let i = 1;
    for (const m of hd) {
      const body: string[] = [];
      while (i < rawLines.length && rawLines[i].trim() !== m[1]) body.push(rawLines[i++]);
      i++;
      heredocs.push(body.join('\n'));
    }
  } else {
    // Continuation lines; comment lines inside a continuation are dropped, as BuildKit does.
    const joined: string[] = [];
    for (const l of rawLines) {
      if (joined.length && /^\s*#/.test(l)) continue;
      joined.push(l.replace(/\\\s*$/, ' '));
    }
    head = joined.join('');
  }
  let rest = head.replace(/^\s*\S+\s*/, '');
  const flags: Record<string, string> = {};
  while (true) {
    const m = /^--([A-Za-z-]+)(?:=(\S*))?\s*/.exec(rest);
    if (!m) break;
    flags[m[1]] = m[2] ?? '';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest: rest.trim(), heredocs };
}

function parseJsonForm(rest: string): string[] | null {
  const t = rest.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v = JSON.parse(t);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
  } catch {
    return null;
  }
}

function unquote(s: string): string {
  return s.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
}

/** Parses `K=V K2="v 2"` (or legacy `K V`) pairs of ENV/ARG/LABEL. */
export function parseKeyValues(rest: string, isArg: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const t = rest.trim();
  if (!t.includes('=') && !isArg) {
    const m = /^(\S+)\s+(.*)$/.exec(t);
    if (m) out[m[1]] = unquote(m[2].trim());
    return out;
  }
  const re = /([A-Za-z_][A-Za-z0-9_.-]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g;
  for (const m of t.matchAll(re)) {
    const v = m[2] ?? '';
    out[m[1]] = v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : unquote(v);
  }
  return out;
}

/** POSIX path join where an absolute `b` wins. */
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
export function runCommands(ins: Instr): SimpleCommand[] {
  if (ins.json) return [{ env: {}, argv: ins.json }];
  const cmds: SimpleCommand[] = [];
  const head = ins.rest.replace(/<<-?\s*["']?[A-Za-z_][A-Za-z0-9_]*["']?/g, ' ');
  cmds.push(...splitCommands(head));
  for (const body of ins.heredocs) cmds.push(...splitCommands(body));
  return cmds.filter((c) => !(c.argv[0] === 'set' || c.argv[0] === '#!/bin/sh' || c.argv[0] === '#!/bin/bash'));
}

/** Splits an image reference into name, tag and digest (`node:20-slim@sha256:…`). */
export function splitImage(ref: string): { name: string; tag: string | null; digest: string | null } {
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  let tag: string | null = null;
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, tag, digest };
}
