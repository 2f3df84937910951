/**
 * The one way distill shows a secret: found by the same patterns everywhere (audit findings,
 * inspect's ENV and history, report.html's embedded data) and masked by the same function, so no
 * output prints in full what audit flags. Hand-written: the patterns are the audit's rules.
 */

/** Masks a secret: its first 4 characters, then its length. */
export function mask(value: string): string {
  const v = value.trim();
  return v.length <= 4 ? '****' : `${v.slice(0, 4)}…(${v.length} chars)`;
}

const SECRET_PATTERNS: { name: string; re: RegExp }[] = [
  { name: 'private key', re: /-----BEGIN ((RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----/ },
  { name: 'AWS access key id', re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'AWS secret access key', re: /aws_secret_access_key\s*[=:]\s*["']?([A-Za-z0-9/+=]{40})/i },
  { name: 'GitHub token', re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { name: 'GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/ },
  { name: 'Slack token', re: /\bxox[baprs]-[A-Za-z0-9-]{10,}/ },
  { name: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: 'npm token', re: /\bnpm_[A-Za-z0-9]{36}\b|_authToken\s*=\s*[^\s$][^\s]{8,}/ },
  { name: 'Stripe secret key', re: /\bsk_live_[0-9a-zA-Z]{24,}\b/ },
  { name: 'registry credentials', re: /"auth"\s*:\s*"[A-Za-z0-9+/=]{8,}"/ },
  { name: 'netrc password', re: /^\s*(machine\s+\S+\s+)?login\s+\S+\s+password\s+\S+/m },
];

const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)/i;

/** Secrets found in a text, as [kind, matched value]. */
export function findSecrets(text: string): { kind: string; value: string }[] {
  const out: { kind: string; value: string }[] = [];
  for (const p of SECRET_PATTERNS) {
    const m = p.re.exec(text);
    if (m) out.push({ kind: p.name, value: m[1] ?? m[0] });
  }
  return out;
}

/** `KEY=value` assignments (one per line) whose key names a secret and whose value is not empty or a path. */
export function secretAssignments(text: string): { kind: string; value: string }[] {
  const out: { kind: string; value: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*["']?([^"'\s#]+)/.exec(line);
    if (m && SECRET_NAME.test(m[1]!) && !/_FILE$|_PATH$/i.test(m[1]!) && !/^(\/|\$\{?|<|changeme$|xxx+$)/i.test(m[2]!)) {
      out.push({ kind: `${m[1]} assignment`, value: m[2]! });
    }
  }
  return out;
}

/** Secrets in a build command (a history line): patterns, and assignments split out of `a && B=x c`. */
export function commandSecrets(text: string): { kind: string; value: string }[] {
  return [...findSecrets(text), ...secretAssignments(text.replace(/\s+(&&|;)\s+/g, '\n').replace(/\s(?=[A-Za-z_]+=)/g, '\n'))];
}

/** Whether an ENV entry's value is a secret: its key names one (and it is no path), or the value matches a pattern. */
export function isSecretEnv(key: string, value: string): boolean {
  return (SECRET_NAME.test(key) && value !== '' && !/_FILE$|_PATH$/i.test(key) && !value.startsWith('/')) || findSecrets(value).length > 0;
}

/** A config ENV entry `KEY=value` as it may be shown: the value masked when it is a secret. */
export function maskEnv(entry: string): string {
  const eq = entry.indexOf('=');
  if (eq === -1) return entry;
  const k = entry.slice(0, eq);
  const v = entry.slice(eq + 1);
  return isSecretEnv(k, v) ? `${k}=${mask(v)}` : entry;
}

/** `text` (a history line, a command) with every secret commandSecrets finds replaced by its mask. */
export function maskText(text: string): string {
  let out = text;
  // Longest first, so a value that contains another is masked whole.
  const values = [...new Set(commandSecrets(text).map((h) => h.value.trim()))].filter(Boolean).sort((a, b) => b.length - a.length);
  for (const v of values) out = out.split(v).join(mask(v));
  return out;
}
