/**
 * HEALTHCHECK on a distroless base: a check that needs a shell or curl cannot run there, so it
 * becomes a note pointing at orchestrator probes; `NONE` and exec-form checks of the app's own
 * binaries or interpreter stay (the interpreter by the base's path).
 */
import type { Instruction } from '../model.ts';
import { commandLanguage } from '../../plan/command.ts';
import type { BaseImage } from '../../plan/providers.ts';
import type { Change, Language } from '../../plan/types.ts';
import { execForm } from '../shell.ts';
import { oneLine, type Rendering } from './emit.ts';

const NOTE_REASON = 'HEALTHCHECK replaced by a note: it needs a shell or curl, which distroless lacks; use an orchestrator probe';

/** The HEALTHCHECK line that runs on the base, or null when it cannot run there. */
export function fitHealthcheck(instr: Instruction, base: BaseImage, lang: Language): string | null {
  if (/^NONE$/i.test(instr.args.trim())) return instr.raw;
  const m = /^CMD\s+(\[.*\])\s*$/s.exec(instr.args.trim());
  if (!m) return null;
  try {
    const argv = JSON.parse(m[1]!) as string[];
    if (base.interpreter && commandLanguage(argv) === lang && argv[0] !== undefined && !argv[0].startsWith('/')) {
      return instr.raw.replace(m[1]!, execForm([base.interpreter, ...argv.slice(1)]));
    }
    if (argv[0]?.startsWith('/') && !/(^|\/)(curl|wget|sh|bash|nc)$/.test(argv[0])) return instr.raw;
  } catch {
    /* not JSON: a shell form */
  }
  return null;
}

/** The comment that replaces a HEALTHCHECK distroless cannot run. */
export function healthcheckNote(instr: Instruction): string {
  return `# distill: removed \`${oneLine(instr.raw)}\`: it needs a shell or curl, which distroless does not have; use an orchestrator probe (e.g. Kubernetes httpGet) or a HEALTHCHECK that runs a binary of the app in exec form`;
}

/** Rebase mode: the final stage's HEALTHCHECK kept, fitted in place, or replaced by the note. */
export function healthcheckEdit(instr: Instruction, base: BaseImage, lang: Language): Rendering {
  const fitted = fitHealthcheck(instr, base, lang);
  if (fitted === null) {
    return { edits: [{ kind: 'replace', instr, text: healthcheckNote(instr) }], changes: [{ line: instr.line, kind: 'healthcheck', reason: NOTE_REASON }], warnings: [] };
  }
  if (fitted === instr.raw) return { edits: [], changes: [], warnings: [] };
  return { edits: [{ kind: 'replace', instr, text: fitted }], changes: [{ line: instr.line, kind: 'healthcheck', reason: `HEALTHCHECK runs ${base.interpreter} by its path` }], warnings: [] };
}

/** Runtime-stage mode: the HEALTHCHECK lines of the new stage, a note for each that cannot run. */
export function healthcheckLines(instrs: Instruction[], base: BaseImage, lang: Language): { lines: string[]; changes: Change[] } {
  const lines: string[] = [];
  const changes: Change[] = [];
  for (const h of instrs) {
    const fitted = fitHealthcheck(h, base, lang);
    if (fitted !== null) lines.push(fitted);
    else {
      lines.push(healthcheckNote(h));
      changes.push({ line: h.line, kind: 'healthcheck', reason: NOTE_REASON });
    }
  }
  return { lines, changes };
}
