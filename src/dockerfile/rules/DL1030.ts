/** DL1030: secrets in ENV or ARG (names such as PASSWORD/TOKEN, or values that look like keys). */
import type { RawFinding, Rule } from './rule.ts';

const SECRET_NAME = /(^|_)(PASS(WORD|WD)|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|SECRET_?KEY|CREDENTIALS?|AUTH_?TOKEN|CLIENT_SECRET)(_|$)/i;
// A name that points at a secret rather than holding one.
const REFERENCE_NAME = /_(FILE|PATH|DIR|NAME|URL_FILE|ENV)$/i;
const SECRET_VALUES: [string, RegExp][] = [
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{30,}\b/],
  ['GitLab token', /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ['Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/],
  ['Stripe secret key', /\bsk_live_[A-Za-z0-9]{16,}\b/],
  ['npm token', /\bnpm_[A-Za-z0-9]{36}\b/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['URL with a password', /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@$]+@/i],
];

/** Shows enough of a value to find it, never the secret itself. */
export function mask(value: string): string {
  if (value.length <= 4) return '****';
  return `${value.slice(0, 2)}…(${value.length} chars)`;
}

/** Parses `ENV A=1 B="2"`, `ENV A 1` and `ARG A[=1]` into pairs (value undefined when absent). */
export function keyValues(keyword: string, args: string): [string, string | undefined][] {
  const t = args.trim();
  if (keyword === 'ENV' && !/^[^\s=]+=/.test(t)) {
    const m = /^(\S+)\s+(.*)$/s.exec(t);
    return m ? [[m[1] ?? '', m[2]]] : [[t, undefined]];
  }
  const out: [string, string | undefined][] = [];
  for (const w of t.match(/[^\s=]+(?:=(?:"(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g) ?? []) {
    const eq = w.indexOf('=');
    if (eq < 0) out.push([w, undefined]);
    else out.push([w.slice(0, eq), w.slice(eq + 1).replace(/^(["'])(.*)\1$/s, '$2')]);
  }
  return out;
}

export const rule: Rule = {
  id: 'DL1030',
  name: 'secret-in-env-arg',
  severity: 'error',
  description: 'A secret is set in ENV or ARG, where it is kept in the image config or build history.',
  fix: 'Pass secrets at build time with `RUN --mount=type=secret,id=…` and at run time from the orchestrator.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const i of ctx.model.instructions) {
      if (i.keyword !== 'ENV' && i.keyword !== 'ARG') continue;
      for (const [name, value] of keyValues(i.keyword, i.args)) {
        const hit = SECRET_VALUES.find(([, re]) => value !== undefined && re.test(value));
        if (hit) {
          out.push({ line: i.line, message: `${i.keyword} ${name} holds what looks like a ${hit[0]} (${mask(value ?? '')})` });
          continue;
        }
        if (!SECRET_NAME.test(name) || REFERENCE_NAME.test(name)) continue;
        if (value === undefined || value === '') {
          // An ARG without a default still lands in `docker history` when passed with --build-arg.
          out.push({ line: i.line, severity: 'warning', message: `${i.keyword} ${name} is meant to carry a secret: build args and env are kept in the image` });
        } else if (/^\$\{?[A-Za-z_]/.test(value) && i.keyword === 'ENV') {
          out.push({ line: i.line, message: `ENV ${name} copies a secret into the image config from ${value.replace(/[{}]/g, '')}` });
        } else {
          out.push({ line: i.line, message: `${i.keyword} ${name} sets a secret value (${mask(value)}) that stays in the image` });
        }
      }
    }
    return out;
  },
};
