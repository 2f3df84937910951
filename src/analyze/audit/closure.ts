/**
 * The audit's run-time completeness checks, over the closure report (src/needs) of the same pass:
 * DA017 for every ELF file whose loader or libraries do not resolve (the container would die at
 * start), DA018 for likely needs the image lacks (CA bundle, tzdata, dlopen()ed libraries), DA019
 * for a runtime uid without an /etc/passwd entry. Pure.
 */
import { AUDITED_KINDS, type NeedsReport } from '../../needs/index.ts';
import type { UserResolution } from '../../oci/user.ts';
import { AUDIT_RULES, type RuleKey } from './rules.ts';
import type { AuditFinding } from './checks.ts';

/** Findings listed one by one before the rest are counted in one. */
const MAX_LISTED = 50;

function finding(key: RuleKey, message: string, paths?: string[]): AuditFinding {
  const r = AUDIT_RULES[key];
  return { rule: r.id, key, severity: r.severity, title: r.title, message, ...(paths?.length ? { paths } : {}), fix: r.fix };
}

/** What is wrong with one file's closure, in one line. */
function problems(f: NeedsReport['files'][number]): string {
  const out: string[] = [];
  if (f.unreadable) out.push(`unreadable (${f.unreadable})`);
  if (f.interpreter?.status === 'missing') out.push(`loader ${f.interpreter.path} missing`);
  for (const n of f.needs) {
    if (n.status === 'missing') out.push(`${n.name} missing`);
    else if (n.status === 'too-old') out.push(`${n.name} too old at ${n.path} (lacks ${(n.missingVersions ?? []).join(', ')})`);
  }
  return out.join('; ');
}

/** DA017: one finding per ELF file whose needs do not resolve; app files first. */
export function missingLibraryFindings(needs: NeedsReport): AuditFinding[] {
  // An unreadable file is not proof of a broken image: it is reported only when it is the app's.
  const bad = needs.files.filter((f) => !f.ok && (!f.unreadable || f.app)).sort((a, b) => Number(b.app) - Number(a.app));
  const out = bad.slice(0, MAX_LISTED).map((f) => finding('missingLibrary', `${f.path}: ${problems(f)}`, [f.path]));
  if (bad.length > MAX_LISTED) out.push(finding('missingLibrary', `${bad.length - MAX_LISTED} more ELF files with unresolved libraries`, bad.slice(MAX_LISTED).map((f) => f.path)));
  return out;
}

/** DA018: one finding per likely need the image does not satisfy, with the string that raised it. */
export function likelyMissingFindings(needs: NeedsReport): AuditFinding[] {
  const byWhat = new Map<string, NeedsReport['hints']>();
  for (const h of needs.hints) {
    if (h.satisfied || !AUDITED_KINDS.has(h.kind)) continue;
    const key = `${h.kind}\0${h.what}`;
    (byWhat.get(key) ?? byWhat.set(key, []).get(key)!).push(h);
  }
  return [...byWhat.values()].map((hs) => {
    const h = hs[0]!;
    const more = hs.length > 1 ? ` (and ${hs.length - 1} more files)` : '';
    return finding('likelyMissing', `likely needs ${h.what}: ${h.evidence.path} mentions ${JSON.stringify(h.evidence.found)}${more}; not found in the image`, hs.map((x) => x.evidence.path));
  });
}

/** DA019: the container runs as a non-root uid that /etc/passwd does not list. */
export function passwdEntryFindings(who: UserResolution, hasPasswd: boolean): AuditFinding[] {
  if (who.root !== false || who.name !== null) return [];
  return [finding('noPasswdEntry', `uid ${who.uid} has no entry in ${hasPasswd ? '/etc/passwd' : 'the image (no /etc/passwd)'}: getpwuid() fails, so $HOME and the user name are unknown to the program`)];
}
