/**
 * Writing the converted Dockerfile: line edits of the input (so untouched lines keep their
 * formatting and comments), FROM lines with renamed stages and pinned digests, and the new
 * runtime stage; plus what every rendering step returns (`Rendering`).
 */
import { parseKeyValues } from '../parse.ts';
import type { Instruction } from '../model.ts';
import { splitImage } from '../../oci/docker-ref.ts';
import { execForm } from '../shell.ts';
import { buildOnlyEnv, type DockerfilePlan } from '../../plan/index.ts';
import type { BaseImage } from '../../plan/providers.ts';
import type { Change, Edit, Language } from '../../plan/types.ts';

/** The distroless nonroot user, by number so Kubernetes runAsNonRoot can verify it. */
export const UID = '65532';

/** A plan that was not refused: what the rendering steps render. */
export type Planned = Extract<DockerfilePlan, { status: 'planned' }>;

/** What a rendering step adds: line edits of the input, explained changes, warnings. */
export interface Rendering {
  edits: Edit[];
  changes: Change[];
  warnings: string[];
}

/** Renderings joined in order (the order of edits and changes is the order of the output). */
export function concat(...parts: Partial<Rendering>[]): Rendering {
  return {
    edits: parts.flatMap((r) => r.edits ?? []),
    changes: parts.flatMap((r) => r.changes ?? []),
    warnings: parts.flatMap((r) => r.warnings ?? []),
  };
}

/** Applies edits to the input lines; edits address instructions by their source lines. */
export function applyEdits(lines: string[], edits: Edit[]): string {
  const at = new Map<number, { instr: Instruction; before: string[]; replace?: string | null; after: string[] }>();
  const slot = (i: Instruction) => {
    let s = at.get((i.line - 1));
    if (!s) at.set((i.line - 1), (s = { instr: i, before: [], after: [] }));
    return s;
  };
  for (const e of edits) {
    const s = slot(e.instr);
    if (e.kind === 'replace') s.replace = e.text;
    else if (e.kind === 'delete') s.replace = null;
    else if (e.kind === 'insertBefore') s.before.push(e.text);
    else s.after.push(e.text);
  }
  const out: string[] = [];
  for (let n = 0; n < lines.length; n++) {
    const s = at.get(n);
    if (!s) {
      out.push(lines[n]!);
      continue;
    }
    out.push(...s.before);
    if (s.replace === undefined) out.push(...lines.slice(n, (s.instr.endLine - 1) + 1));
    else if (s.replace !== null) out.push(s.replace);
    out.push(...s.after);
    n = (s.instr.endLine - 1);
  }
  return out.join('\n');
}

/** A FROM line: the user's flags (e.g. --platform) kept, image and stage name as given. */
export function fromLine(instr: Instruction, image: string, name: string | null): string {
  const flags = instr.flags.map((f) => (f.value ? `--${f.name}=${f.value}` : `--${f.name}`));
  return ['FROM', ...flags, image, ...(name ? ['AS', name] : [])].join(' ');
}

/** `ref@digest` when the lock has the reference and it carries no digest yet. */
export function pinned(ref: string, lock: Record<string, string> | undefined): { ref: string; hit: boolean } {
  if (!lock || ref.includes('@') || ref === 'scratch') return { ref, hit: ref.includes('@') };
  const { name, tag } = splitImage(ref);
  const d = lock[ref] ?? lock[`${name}:${tag ?? 'latest'}`];
  if (!d) return { ref, hit: false };
  return { ref: `${ref}@${d.startsWith('sha256:') ? d : `sha256:${d}`}`, hit: true };
}

/** ENV instructions for the runtime: build-only keys dropped, the rest re-emitted one per line. */
export function runtimeEnv(instrs: Instruction[]): { lines: string[]; dropped: string[] } {
  const lines: string[] = [];
  const dropped: string[] = [];
  for (const i of instrs) {
    const kv = parseKeyValues(i.args, false);
    const keys = Object.keys(kv);
    const keep = keys.filter((k) => !buildOnlyEnv(k));
    dropped.push(...keys.filter((k) => buildOnlyEnv(k)));
    if (keep.length === keys.length) lines.push(i.raw);
    else if (keep.length) lines.push('ENV ' + keep.map((k) => `${k}=${quoteEnv(kv[k]!)}`).join(' '));
  }
  return { lines, dropped };
}

/** A value quoted for ENV when it needs it. */
export function quoteEnv(v: string): string {
  return /^[A-Za-z0-9_./:,@%+=-]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
}

/** ENTRYPOINT/CMD lines for argv lists (null = leave unset). */
export function commandLines(entrypoint: string[] | null, cmd: string[] | null): string[] {
  const out: string[] = [];
  if (entrypoint && entrypoint.length) out.push(`ENTRYPOINT ${execForm(entrypoint)}`);
  if (cmd && cmd.length) out.push(`CMD ${execForm(cmd)}`);
  return out;
}

/** An instruction's text on one line: continuations joined, runs of blanks collapsed. */
export function oneLine(s: string): string {
  return s.replace(/\\\n\s*/g, ' ').replace(/\s+/g, ' ').trim();
}

/** What a distroless base holds, for the FROM line's explanation. */
export function describeBase(base: BaseImage, lang: Language): string {
  const what: Record<string, string> = {
    static: 'no shell, no package manager, no libc',
    base: 'glibc, CA certificates and tzdata; no shell or package manager',
    cc: 'glibc and libstdc++; no shell or package manager',
    python3: 'the Python interpreter only; no shell or pip',
    nodejs: 'the Node.js runtime only; no shell, npm or yarn',
    java: 'a JRE only; no shell, JDK or build tool',
    dotnet: 'the .NET runtime only; no shell or SDK',
    aspnet: 'the ASP.NET Core runtime only; no shell or SDK',
  };
  return `${what[base.flavour] ?? 'minimal'} (${lang})${base.notes.length ? '; ' + base.notes.join('; ') : ''}`;
}
