/**
 * Dockerfile text -> DockerfileModel, over dockerfile-ast (which handles the escape directive,
 * continuations, heredocs and comments). We add what the rules need: ARG substitution in FROM,
 * stage-alias links, exec vs shell form, `--mount` options and `# distill-ignore` comments.
 */
import { DockerfileParser } from 'dockerfile-ast';
import { parseImageRef } from './bases.ts';
import type { DockerfileModel, Flag, Heredoc, Instruction, Mount, Stage } from './model.ts';

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

  const model: DockerfileModel = { escape, globalArgs: {}, stages: [], instructions: [], fileIgnore };
  const aliases = new Map<string, number>();
  let stage: Stage | null = null;

  for (const ins of instrs) {
    const range = ins.getRange();
    const keyword = ins.getKeyword().toUpperCase();
    // Continuations joined; dockerfile-ast strips escape+newline in getArgumentsContent.
    let content = ins.getArgumentsContent() ?? '';
    const heredocs: Heredoc[] = [];
    if ((keyword === 'RUN' || keyword === 'COPY') && 'getHeredocs' in ins) {
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
      const text = lines[l] ?? '';
      if (!/^\s*#/.test(text)) break;
      ignore.push(...(ignoreComment(text) ?? []));
    }
    const instr: Instruction = {
      keyword,
      line: range.start.line + 1,
      endLine: range.end.line + 1,
      args: rest.trim(),
      flags,
      form: exec ? 'exec' : 'shell',
      exec,
      heredocs,
      mounts: flags.filter((f) => f.name === 'mount' && f.value).map((f) => parseMount(f.value ?? '')),
      stage: stage ? stage.index : -1,
      ignore,
    };
    model.instructions.push(instr);

    if (keyword === 'FROM') {
      const words = rest.trim().split(/\s+/).filter(Boolean);
      const image = words[0] ?? '';
      const asIdx = words.findIndex((w) => w.toLowerCase() === 'as');
      const alias = asIdx >= 0 ? (words[asIdx + 1] ?? null) : null;
      const resolvedImage = substituteVars(image, model.globalArgs);
      const parentStage = aliases.get(resolvedImage.toLowerCase()) ?? null;
      const platform = flags.find((f) => f.name === 'platform')?.value ?? null;
      const index = model.stages.length;
      instr.stage = index;
      stage = { index, from: instr, image, resolvedImage, ref: parseImageRef(resolvedImage), alias, platform, parentStage, instructions: [] };
      model.stages.push(stage);
      if (alias) aliases.set(alias.toLowerCase(), index);
      continue;
    }
    if (!stage) {
      if (keyword === 'ARG') {
        for (const word of rest.trim().split(/\s+/).filter(Boolean)) {
          const eq = word.indexOf('=');
          const name = eq < 0 ? word : word.slice(0, eq);
          model.globalArgs[name] = eq < 0 ? undefined : substituteVars(word.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2'), model.globalArgs);
        }
      }
      continue;
    }
    stage.instructions.push(instr);
  }
  return model;
}
