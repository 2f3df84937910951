/** DL1003: a single-stage build ships its package manager or toolchain in the final image. */
import { shortImage, type Rule } from './rule.ts';

export const rule: Rule = {
  id: 'DL1003',
  name: 'single-stage-toolchain',
  severity: 'warning',
  description: 'Single-stage build: the package manager or build toolchain ends up in the final image.',
  fix: 'Build in a builder stage and COPY only the artefacts into a distroless final stage (`distill convert` does this).',
  check(ctx) {
    const final = ctx.final;
    if (!final || ctx.model.stages.length !== 1) return [];
    const b = ctx.base(final);
    const what: string[] = [];
    if (typeof b.toolchain === 'string' && b.toolchain !== 'unknown') what.push(`toolchain (${b.toolchain})`);
    if (typeof b.packageManager === 'string' && b.packageManager !== 'unknown') what.push(`package manager (${b.packageManager})`);
    if (what.length === 0) return [];
    return [{ line: final.from.line, message: `single-stage build on ${shortImage(final)}: the ${what.join(' and ')} ${what.length > 1 ? 'stay' : 'stays'} in the final image` }];
  },
};
