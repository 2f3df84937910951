/** DL1010–DL1012 share one check: how well a FROM image is pinned (no tag / `latest` / no digest). */
import type { Rule, RawFinding, LintContext } from './rule.ts';
import type { Stage } from '../model.ts';

/** Stages built on an external image whose reference we could resolve. */
export function externalStages(ctx: LintContext): Stage[] {
  return ctx.model.stages.filter((s) => s.parentStage === null && s.ref.name !== 'scratch' && !/\$/.test(s.resolvedImage) && s.resolvedImage !== '');
}

export const rule: Rule = {
  id: 'DL1010',
  name: 'base-no-tag',
  severity: 'warning',
  description: 'A FROM image has neither a tag nor a digest, so it means `latest`.',
  fix: 'Name a version tag and pin its digest: `FROM image:1.2@sha256:…`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of externalStages(ctx)) {
      if (!s.ref.tag && !s.ref.digest) out.push({ line: s.from.line, message: `${s.resolvedImage} has no tag: it floats with \`latest\`` });
    }
    return out;
  },
};
