/**
 * Rebase mode: a final stage that only assembles (no build RUN) is edited in place onto the
 * distroless base. RUN and SHELL go, files are owned by the nonroot user, USER is numeric, and
 * ENTRYPOINT/CMD are the plan's launch in exec form, edited where they stand so a converted file
 * converts to itself.
 */
import type { Instruction, Stage } from '../model.ts';
import type { Edit, Plan } from '../../plan/types.ts';
import type { BaseImage } from '../../plan/providers.ts';
import { flagOf, joinPath } from '../parse.ts';
import { execForm } from '../shell.ts';
import { concat, describeBase, oneLine, quoteEnv, type Planned, type Rendering } from './emit.ts';
import { editFrom, type FromEdits } from './from-edits.ts';
import { healthcheckEdit } from './healthcheck.ts';

/** A rendering plus lines that go after the stage's last instruction still standing. */
type WithTail = Rendering & { tail: string[] };

const NOTHING: Rendering = { edits: [], changes: [], warnings: [] };

/** The final stage rebased in place; `prior` are the edits already made (the strategy's). */
export function rebaseFinal(p: Planned, baseRef: string, froms: FromEdits, prior: Edit[]): Rendering & { froms: FromEdits } {
  const final = p.analysis.final;
  const rebased = baseRef === final.image ? froms : editFrom(froms, final, (e) => ({ ...e, image: baseRef, why: [...e.why, `final stage rebased onto ${baseRef}: ${describeBase(p.base, p.language)}`] }));
  const body = concat(...final.instructions.map((i) => editInstruction(i, p)), planEnvEdits(final, p.strategy.env));
  const ents = final.instructions.filter((i) => i.keyword === 'ENTRYPOINT');
  const cmds = final.instructions.filter((i) => i.keyword === 'CMD');
  const user = userEdits(final, [ents.at(-1), cmds.at(-1)], p);
  const command = p.strategy.run ? commandEdits(ents, cmds, p) : { ...NOTHING, tail: [] };
  const done = concat(body, user, command, uncopiedWritable(final, p));
  const tail = tailEdit(final, [...prior, ...done.edits], [...user.tail, ...command.tail]);
  return { ...concat(done, tail), froms: rebased };
}

/** A writable path the stage made with a RUN that goes: it will not exist on the distroless image. */
function uncopiedWritable(final: Stage, p: Planned): Rendering {
  const dsts = final.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').map((i) => {
    const words = i.exec ?? i.args.split(/\s+/).filter(Boolean);
    return joinPath(i.workdir, words[words.length - 1] ?? '.');
  });
  const missing = p.writable.filter((w) => !dsts.some((d) => d === w || w.startsWith(d.replace(/\/?$/, '/'))));
  return { ...NOTHING, warnings: missing.map((w) => `${w} is made writable by a RUN that cannot run on distroless: it will not exist there — mount a volume or tmpfs at ${w}`) };
}

/** The edit of one instruction of the final stage. */
function editInstruction(i: Instruction, p: Planned): Rendering {
  const line = i.line;
  switch (i.keyword) {
    case 'RUN': {
      const r = p.analysis.runs.find((x) => x.instr === i)!;
      const warnings = r.kind === 'runtime' ? [`line ${line}: ${r.reason}; build a base with them (\`distill base --add …\`) or copy their files from a builder`] : [];
      return { edits: [{ kind: 'delete', instr: i }], changes: [{ line, kind: 'drop-run', reason: `RUN removed: ${r.reason}; a distroless image has no shell to run it` }], warnings };
    }
    case 'SHELL':
      return { edits: [{ kind: 'delete', instr: i }], changes: [{ line, kind: 'drop-shell', reason: 'SHELL removed: distroless has no shell' }], warnings: [] };
    case 'COPY':
    case 'ADD':
      return chownEdit(i, p);
    case 'USER': {
      const text = `USER ${p.user.user}`;
      if (i.raw.trim() === text) return NOTHING;
      return { edits: [{ kind: 'replace', instr: i, text }], changes: [{ line, kind: 'user', reason: p.user.note ?? `\`${i.raw.trim()}\` -> ${text}` }], warnings: [] };
    }
    case 'HEALTHCHECK':
      return healthcheckEdit(i, p.base, p.language);
    default:
      return NOTHING;
  }
}

/**
 * COPY/ADD ownership: code stays root-owned (the runtime user cannot change it); a copy the app
 * writes to (a path the stage chowns) is owned by the runtime user; an owner given by name
 * becomes the runtime user by number, since the distroless base has no passwd entry for it.
 */
function chownEdit(i: Instruction, p: Planned): Rendering {
  const owner = flagOf(i, 'chown');
  const words = i.exec ?? i.args.split(/\s+/).filter(Boolean);
  const dst = joinPath(i.workdir, words[words.length - 1] ?? '.');
  const chown = `--chown=${p.user.user.includes(':') ? p.user.user : `${p.user.user}:${p.user.user}`}`;
  if (owner === undefined) {
    if (!p.writable.some((w) => w === dst || w.startsWith(dst.replace(/\/?$/, '/')))) return NOTHING;
    return { edits: [{ kind: 'replace', instr: i, text: i.raw.replace(/^(\s*\S+)/, `$1 ${chown}`) }], changes: [{ line: i.line, kind: 'chown', reason: `${dst} is written by the app (the Dockerfile chowns it): owned by the runtime user` }], warnings: [] };
  }
  if (/^\d+(:\d+)?$/.test(owner) && owner !== '0' && !/^0(:|$)/.test(owner)) return NOTHING;
  // A user name needs /etc/passwd in the image; the runtime user is known by number.
  return { edits: [{ kind: 'replace', instr: i, text: i.raw.replace(/--chown=\S+/, chown) }], changes: [{ line: i.line, kind: 'chown', reason: `--chown=${owner} -> ${chown}: the runtime user, by number (the distroless base has no passwd entry for the name)` }], warnings: [] };
}

/** ENV the plan adds, after the stage's last ENV (or right after FROM). */
function planEnvEdits(final: Stage, env: Plan['env']): Rendering {
  if (!env.length) return NOTHING;
  const lastEnv = [...final.instructions].reverse().find((i) => i.keyword === 'ENV');
  const text = env.map((e) => `ENV ${e.key}=${quoteEnv(e.value)}`).join('\n');
  return {
    edits: [{ kind: 'insertAfter', instr: lastEnv ?? final.from, text }],
    changes: env.map((e) => ({ kind: 'env', reason: `ENV ${e.key}=${e.value}: ${e.reason}` })),
    warnings: [],
  };
}

/** USER added when the stage has none: before its command (the earlier of the last ENTRYPOINT and CMD), else at the end. */
function userEdits(final: Stage, commands: (Instruction | undefined)[], p: Planned): WithTail {
  if (final.instructions.some((i) => i.keyword === 'USER')) return { ...NOTHING, tail: [] };
  // Deleted lines still carry inserted text, so the command line is an anchor even when it goes.
  const first = commands.filter((x): x is Instruction => !!x).sort((x, y) => x.line - y.line)[0];
  const line = `USER ${p.user.user}`;
  return {
    edits: first ? [{ kind: 'insertBefore', instr: first, text: line }] : [],
    changes: [{ kind: 'user', reason: p.user.note ?? `${line} added` }],
    warnings: [],
    tail: first ? [] : [line],
  };
}

/** ENTRYPOINT and CMD set to the launch: only the last of each kept, edited in place when present. */
function commandEdits(ents: Instruction[], cmds: Instruction[], p: Planned): WithTail {
  const earlier: Rendering = { edits: [...ents.slice(0, -1), ...cmds.slice(0, -1)].map((instr) => ({ kind: 'delete', instr })), changes: [], warnings: [] };
  const lastCmd = cmds.at(-1);
  const entry = setCommand(ents.at(-1), 'ENTRYPOINT', p.launch.entrypoint, p.base, lastCmd);
  const cmd = setCommand(lastCmd, 'CMD', p.launch.cmd, p.base, lastCmd);
  return { ...concat(earlier, entry, cmd), tail: [...entry.tail, ...cmd.tail] };
}

/** One of ENTRYPOINT/CMD fitted to `want` (null or empty: removed, the base's own ENTRYPOINT runs). */
function setCommand(last: Instruction | undefined, keyword: 'ENTRYPOINT' | 'CMD', want: string[] | null, base: BaseImage, lastCmd: Instruction | undefined): WithTail {
  const text = want && want.length ? `${keyword} ${execForm(want)}` : null;
  const kind = keyword.toLowerCase();
  const none: WithTail = { ...NOTHING, tail: [] };
  if (!last) {
    if (!text) return none;
    const change = { kind, reason: `${text}: exec form, what the original ran` };
    // A new ENTRYPOINT goes right before the CMD it pairs with.
    if (keyword === 'ENTRYPOINT' && lastCmd) return { edits: [{ kind: 'insertBefore', instr: lastCmd, text }], changes: [change], warnings: [], tail: [] };
    return { edits: [], changes: [change], warnings: [], tail: [text] };
  }
  if (text === null) {
    return { ...none, edits: [{ kind: 'delete', instr: last }], changes: [{ line: last.line, kind, reason: `${keyword} removed: the base image's own ENTRYPOINT (${execForm(base.entrypoint ?? [])}) starts the interpreter` }] };
  }
  if (last.raw.trim() === text) return none;
  const fitted = base.entrypoint && keyword === 'CMD' ? `, fitted to the base's ENTRYPOINT ${execForm(base.entrypoint)}` : '';
  return { ...none, edits: [{ kind: 'replace', instr: last, text }], changes: [{ line: last.line, kind, reason: `\`${oneLine(last.raw)}\` -> \`${text}\`: exec form (no shell in distroless)${fitted}` }] };
}

/** The tail lines after the last instruction still standing (else the last not dropped as RUN/SHELL, else FROM). */
function tailEdit(final: Stage, edits: Edit[], tail: string[]): Rendering {
  if (!tail.length) return NOTHING;
  const alive = (i: Instruction) => !edits.some((e) => e.kind === 'delete' && e.instr === i);
  const lastKept = [...final.instructions].reverse().find((i) => i.keyword !== 'RUN' && i.keyword !== 'SHELL');
  const anchor = [...final.instructions].reverse().find(alive) ?? lastKept ?? final.from;
  return { edits: [{ kind: 'insertAfter', instr: anchor, text: tail.join('\n') }], changes: [], warnings: [] };
}
