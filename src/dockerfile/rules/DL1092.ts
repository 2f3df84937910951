/** DL1092: `COPY --from` names the stage it is in — a stage cannot copy from itself. */
import type { RawFinding, Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1092',
  name: 'copy-from-own-stage',
  severity: 'error',
  description: '`COPY --from` names the stage the COPY is in; the build fails.',
  fix: 'Copy from an earlier stage (`COPY --from=build …`), or drop `--from` to copy from the context.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.model.stages) {
      for (const i of s.instructions) {
        if (i.keyword !== 'COPY') continue;
        const from = i.flags.find((f) => f.name === 'from')?.value;
        if (!from) continue;
        if ((s.alias && from.toLowerCase() === s.alias.toLowerCase()) || from === String(s.index)) {
          out.push({ line: i.line, message: `COPY --from=${from} copies from the stage it is in` });
        }
      }
    }
    return out;
  },
};
