/**
 * `distill lint`: hardening rules over a Dockerfile. Parses once (parse.ts), runs every rule in
 * rules/ against the final stage (or `target`) and all stages, then drops findings silenced by
 * options, file-level or per-instruction `# distill-ignore` comments.
 */
import { parseDockerfile } from './parse.ts';
import { makeContext } from './rules/rule.ts';
import { RULES } from './rules/index.ts';

export type Severity = 'error' | 'warning' | 'info';
export interface Finding { rule: string; severity: Severity; line: number; message: string; fix?: string; file?: string }
export interface LintOptions {
  ignore?: string[];
  /** Whether a .dockerignore sits next to the Dockerfile; leave undefined when unknown. */
  dockerignorePresent?: boolean;
  file?: string;
  /** The stage to treat as final (`--target`): alias or index. Default: the last stage. */
  target?: string;
}

export { RULES };

/** Severity order, highest first. */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** True when `s` is at or above `threshold` (error > warning > info). */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(s) <= SEVERITIES.indexOf(threshold);
}

/** Lints Dockerfile text; returns findings sorted by line, then rule id. */
export function lintDockerfile(text: string, opts: LintOptions = {}): Finding[] {
  const model = parseDockerfile(text);
  const ctx = makeContext(model, { target: opts.target, dockerignorePresent: opts.dockerignorePresent });
  const ignored = new Set([...(opts.ignore ?? []), ...model.fileIgnore].map((s) => s.toUpperCase()));
  const byLine = new Map<number, string[]>();
  for (const i of model.instructions) if (i.ignore.length) byLine.set(i.line, i.ignore);
  const out: Finding[] = [];
  for (const rule of RULES) {
    if (ignored.has(rule.id)) continue;
    for (const f of rule.check(ctx)) {
      if (byLine.get(f.line)?.includes(rule.id)) continue;
      const finding: Finding = { rule: rule.id, severity: f.severity ?? rule.severity, line: f.line, message: f.message, fix: f.fix ?? rule.fix };
      if (opts.file !== undefined) finding.file = opts.file;
      out.push(finding);
    }
  }
  return out.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
}
