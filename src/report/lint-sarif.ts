/** Dockerfile lint findings as SARIF 2.1.0: every rule, one result per finding at its file and line. */
import { RULES, type Finding } from '../dockerfile/lint.ts';
import { VERSION } from '../version.ts';
import { toSarif } from './sarif.ts';

/** A SARIF log with one run of `distill-lint`; rules are the whole table, so ignored rules still resolve. */
export function lintToSarif(findings: Finding[]): Record<string, unknown> {
  return toSarif(
    { name: 'distill-lint', version: VERSION },
    RULES.map((x) => ({ id: x.id, name: x.name, shortDescription: x.description, severity: x.severity, help: `${x.fix} See docs/rules/${x.id}.md.` })),
    findings.map((f) => ({ ruleId: f.rule, level: f.severity, message: f.fix ? `${f.message}. Fix: ${f.fix}` : f.message, file: f.file, line: f.line })),
  );
}
