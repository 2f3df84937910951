/** `auditImage`: gather once, check, and apply the user's ignore list. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Image } from '../../oci/image.ts';
import { codeOf, DistillError } from '../../util/errors.ts';
import { runAudit, type AuditFinding, type AuditReport } from './checks.ts';
import { collectAuditInput } from './collect.ts';
import { severityRank, type AuditSeverity } from './rules.ts';

export interface IgnoreRule {
  rule: string;
  /** Only findings whose paths or message include this path are ignored. */
  path?: string;
  reason?: string;
}

export interface AuditResult extends AuditReport {
  reference?: string;
  digest: string;
  ignored: (AuditFinding & { reason?: string })[];
  /** Uncompressed tar bytes per layer (counted during the same pass). */
  layerTarBytes: number[];
}

/** Reads an ignore file: YAML or JSON, a list of rule ids or {rule, path?, reason?}. */
export function readIgnoreFile(path: string): IgnoreRule[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DistillError(path, `cannot read ignore file: ${e instanceof Error ? e.message : String(e)}`, { code: codeOf(e) });
  }
  const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' && Array.isArray((raw as { ignore?: unknown }).ignore) ? (raw as { ignore: unknown[] }).ignore : undefined;
  if (!list) throw new DistillError(path, 'ignore file must be a list (or {ignore: [...]}) of rule ids or {rule, path, reason}', { code: 'E_INPUT' });
  return list.map((x, i) => {
    if (typeof x === 'string') return { rule: x };
    if (x && typeof x === 'object' && typeof (x as IgnoreRule).rule === 'string') return x as IgnoreRule;
    throw new DistillError(path, `entry ${i + 1} is neither a rule id nor {rule, path, reason}`, { code: 'E_INPUT' });
  });
}

/** Audits an image: shells, package managers, setuid, root, secrets, leftovers, grade. */
export async function auditImage(image: Image, opts: { reference?: string; ignore?: IgnoreRule[] } = {}): Promise<AuditResult> {
  const input = await collectAuditInput(image, opts.reference);
  const report = runAudit(input);
  const ignored: (AuditFinding & { reason?: string })[] = [];
  const kept = report.findings.filter((f) => {
    const rule = opts.ignore?.find((r) => (r.rule === f.rule || r.rule === f.key) && (!r.path || f.paths?.some((p) => p.startsWith(r.path!)) || f.message.includes(r.path)));
    if (rule) ignored.push({ ...f, ...(rule.reason ? { reason: rule.reason } : {}) });
    return !rule;
  });
  return { ...report, findings: kept, ignored, reference: opts.reference, digest: await image.digest(), layerTarBytes: input.layerTarBytes };
}

/** Whether any finding is at or above `level`. */
export function auditExceeds(findings: AuditFinding[], level: AuditSeverity): boolean {
  return findings.some((f) => severityRank(f.severity) >= severityRank(level));
}
