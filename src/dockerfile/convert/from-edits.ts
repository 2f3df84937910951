/**
 * FROM lines: every step that changes a stage's image or name (strategy swaps, lock pins, the
 * rebase or builder rename, --builder-image) records it here, and one FROM line per stage is
 * written at the end with every reason. The record is a map in first-touched order, because
 * that order is the order of the explanation; each step returns a new map.
 */
import type { DockerfileModel, Instruction, Stage } from '../model.ts';
import type { Change, Edit, Plan } from '../../plan/types.ts';
import { fromLine, pinned } from './emit.ts';

/** A stage's FROM as it will be written, and why it differs from the input. */
export interface FromEdit {
  image: string;
  name: string | null;
  why: string[];
}

/** FROM edits by the FROM instruction they rewrite, in the order stages were first touched. */
export type FromEdits = ReadonlyMap<Instruction, FromEdit>;

/** The edits with one stage's FROM changed by `change` (starting from the stage as written). */
export function editFrom(froms: FromEdits, st: Stage, change: (e: FromEdit) => FromEdit): FromEdits {
  const out = new Map(froms);
  out.set(st.from, change(froms.get(st.from) ?? { image: st.image, name: st.alias, why: [] }));
  return out;
}

/** The image a stage's FROM names so far. */
export function imageOf(froms: FromEdits, st: Stage): string {
  return froms.get(st.from)?.image ?? st.image;
}

/** The runtime base with its digest from the lock, and a warning when --pin has none for it. */
export function pinBase(ref: string, lock: Record<string, string> | undefined): { ref: string; warnings: string[] } {
  const pin = pinned(ref, lock);
  return { ref: pin.ref, warnings: lock && !pin.hit && ref !== 'scratch' ? [`--pin: ${ref} is not in the lock; left unpinned`] : [] };
}

/** The strategy's builder image swaps. */
export function swapImages(file: DockerfileModel, swaps: Plan['imageSwaps']): FromEdits {
  let froms: FromEdits = new Map();
  for (const s of swaps) froms = editFrom(froms, file.stages.find((x) => x.from === s.instr)!, (e) => ({ ...e, image: s.image }));
  return froms;
}

/** Builder images in the lock get their digests too (the final stage's base is pinned by `pinBase`). */
export function pinBuilders(froms: FromEdits, file: DockerfileModel, final: Stage, lock: Record<string, string> | undefined): { froms: FromEdits; changes: Change[] } {
  const changes: Change[] = [];
  if (!lock) return { froms, changes };
  for (const st of file.stages) {
    if (st === final) continue;
    const img = imageOf(froms, st);
    const p = pinned(img, lock);
    if (!p.hit || p.ref === img) continue;
    froms = editFrom(froms, st, (e) => ({ ...e, image: p.ref }));
    changes.push({ line: st.from.line, kind: 'pin', reason: `${img} pinned to its digest from the lock` });
  }
  return { froms, changes };
}

/** --builder-image: an air-gapped or mirrored build swaps a builder stage's base for a local image. */
export function swapBuilderImages(froms: FromEdits, file: DockerfileModel, runtime: Stage | null, images: Record<string, string> | undefined): FromEdits {
  if (!images) return froms;
  for (const st of file.stages) {
    if (st === runtime) continue;
    const cur = imageOf(froms, st);
    const to = [cur, cur.split('@')[0]!, st.image, st.baseImage].map((k) => images[k]).find((v) => v !== undefined);
    if (to === undefined || to === cur) continue;
    froms = editFrom(froms, st, (e) => ({ ...e, image: to, why: [...e.why, `builder base ${st.baseImage} replaced by ${to} (--builder-image)`] }));
  }
  return froms;
}

/** One FROM line per changed stage, with a change for each reason. */
export function renderFromEdits(froms: FromEdits, file: DockerfileModel): { edits: Edit[]; changes: Change[] } {
  const edits: Edit[] = [];
  const changes: Change[] = [];
  for (const [instr, e] of froms) {
    const st = file.stages.find((s) => s.from === instr)!;
    if (e.image === st.image && e.name === st.alias) continue;
    edits.push({ kind: 'replace', instr, text: fromLine(instr, e.image, e.name) });
    for (const why of e.why) changes.push({ line: instr.line, kind: 'from', reason: why });
  }
  return { edits, changes };
}
