/** The audit rules: id, severity, title and the docs page each finding links to. */

export type AuditSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface AuditRule {
  id: string;
  severity: AuditSeverity;
  title: string;
  fix: string;
}

export const AUDIT_RULES = {
  shell: { id: 'DA001', severity: 'high', title: 'shell present', fix: 'build the final stage on a distroless base and copy only the app; keep shells in a :debug variant' },
  packageManager: { id: 'DA002', severity: 'high', title: 'package manager present', fix: 'install packages in a builder stage; the final image needs no apt, apk, rpm or pip' },
  netTools: { id: 'DA003', severity: 'medium', title: 'network or debugging tool present', fix: 'remove curl, wget, nc, ssh, gdb and strace from the runtime image; use `distill debug` when you need them' },
  setuid: { id: 'DA004', severity: 'high', title: 'setuid or setgid file', fix: 'drop the set-id bits (chmod u-s,g-s) or the file; non-root containers should never need them' },
  worldWritable: { id: 'DA005', severity: 'medium', title: 'world-writable path outside /tmp', fix: 'chmod o-w; give the app a tmpfs or volume for what it must write' },
  rootUser: { id: 'DA006', severity: 'critical', title: 'runs as root', fix: 'set USER 65532:65532 (numeric) in the final stage' },
  namedUser: { id: 'DA007', severity: 'medium', title: 'user is not numeric', fix: 'use the numeric uid (e.g. 65532) so Kubernetes runAsNonRoot can verify it' },
  secretFile: { id: 'DA008', severity: 'critical', title: 'secret in a file', fix: 'remove the secret from the image and rotate it; pass secrets at run time (mounted files, a secret store)' },
  secretConfig: { id: 'DA009', severity: 'critical', title: 'secret in the image config or history', fix: 'never put secrets in ENV, ARG or build commands: they stay in the image config and history; rotate it' },
  leftover: { id: 'DA010', severity: 'low', title: 'build leftover', fix: 'add it to .dockerignore or build in a separate stage' },
  devDependency: { id: 'DA011', severity: 'low', title: 'dev dependency in the image', fix: 'install with npm ci --omit=dev in the final stage' },
  duplicateUid: { id: 'DA012', severity: 'medium', title: 'duplicate uid in /etc/passwd', fix: 'give each account its own uid' },
  emptyPassword: { id: 'DA013', severity: 'high', title: 'account with an empty password', fix: "lock the account (set the password field to '*' or '!')" },
  mutableTag: { id: 'DA014', severity: 'low', title: 'mutable or debug tag', fix: 'deploy by digest, and never ship :debug or :latest to production' },
  unresolvedUser: { id: 'DA016', severity: 'high', title: 'user cannot be resolved', fix: 'set USER to a numeric uid in 1..2147483647 (e.g. 65532:65532), or add the account to /etc/passwd' },
  missingLibrary: { id: 'DA017', severity: 'high', title: 'library missing or too old', fix: 'build on a base that has the library (distill build picks the flavour from the closure: cc for libstdc++/libgcc_s, base for glibc), add its Debian package (distill base --add), or link the program statically' },
  likelyMissing: { id: 'DA018', severity: 'medium', title: 'likely run-time need missing', fix: 'add what the program reads at run time: ca-certificates for TLS, tzdata for time zones, the dlopen()ed library; or ignore the rule for the path when the code path is never taken' },
  noPasswdEntry: { id: 'DA019', severity: 'low', title: 'no /etc/passwd entry for the runtime uid', fix: 'add the account to /etc/passwd (distill bases carry nonroot 65532 and nobody 65534); getpwuid() fails without it, and programs asking for the home directory or user name break' },
  noHealthcheck: { id: 'DA015', severity: 'info', title: 'no HEALTHCHECK', fix: 'distroless images cannot run a shell health check: use an orchestrator probe (Kubernetes livenessProbe) or a healthcheck binary' },
} as const satisfies Record<string, AuditRule>;

export type RuleKey = keyof typeof AUDIT_RULES;

export const SEVERITY_ORDER: AuditSeverity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Rank for comparisons: critical = 4 … info = 0. */
export function severityRank(s: AuditSeverity): number {
  return SEVERITY_ORDER.length - 1 - SEVERITY_ORDER.indexOf(s);
}
