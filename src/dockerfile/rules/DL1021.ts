/** DL1021: RUN in a distroless final stage — there is no shell or package manager to run it. */
import type { Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1021',
  name: 'run-in-distroless-final',
  severity: 'error',
  description: 'RUN in a final stage whose base is distroless.',
  fix: 'Do the work in a builder stage and COPY --from the result into the final stage.',
  check(ctx) {
    const f = ctx.final;
    if (!f) return [];
    const b = ctx.base(f);
    if (b.distroless !== true || b.debug) return [];
    return f.instructions.filter((i) => i.keyword === 'RUN').map((i) => ({ line: i.line, message: `RUN in the final stage on distroless ${ctx.rootRef(f).name}: it has no shell or package manager` }));
  },
};
