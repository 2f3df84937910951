/**
 * "Is it really distroless?": the audit checks, pure functions over the merged filesystem, a few
 * file contents and the image config. Each finding names its rule, the paths or fields involved,
 * and never prints a secret's value (masked everywhere, JSON included).
 */
import type { FsEntry } from '../../layers/filesystem.ts';
import type { AuditInput } from './collect.ts';
import { AUDIT_RULES, severityRank, type AuditSeverity, type RuleKey } from './rules.ts';
import { describeUser, parsePasswd, parseUserSpec, resolveUser, showUser, type UserResolution } from '../../oci/user.ts';
import { userFilesFrom } from '../user-files.ts';
import { likelyMissingFindings, missingLibraryFindings, passwdEntryFindings } from './closure.ts';
import { commandSecrets, findSecrets, isSecretEnv, mask, secretAssignments } from '../../util/mask.ts';

export interface AuditFinding {
  rule: string;
  key: RuleKey;
  severity: AuditSeverity;
  title: string;
  message: string;
  paths?: string[];
  fix: string;
}

export interface AuditFacts {
  /** Shell executables found (paths), empty when none. */
  shells: string[];
  /** Package-manager executables found (paths). */
  packageManagers: string[];
  /** The configured user, as written in the config (empty = root). */
  user: string;
  /** Numeric uid the container runs as, when it can be known. */
  uid: number | 'unknown';
  runsAsRoot: boolean | 'unknown';
  /** The user resolved against the image's /etc/passwd and /etc/group (src/oci/user.ts). */
  resolvedUser: UserResolution;
  setuidFiles: number;
  worldWritable: number;
}

export interface AuditReport {
  findings: AuditFinding[];
  facts: AuditFacts;
  grade: 'A' | 'B' | 'C' | 'D' | 'F';
  score: number;
  distroless: boolean;
  verdict: string;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'rbash', 'busybox']);
const PKG_MANAGERS = new Set(['apt', 'apt-get', 'apt-cache', 'aptitude', 'dpkg', 'dpkg-deb', 'apk', 'yum', 'dnf', 'microdnf', 'rpm', 'zypper', 'pip', 'pip3', 'npm', 'yarn', 'pnpm', 'gem']);
const NET_TOOLS = new Set(['curl', 'wget', 'nc', 'ncat', 'netcat', 'socat', 'ssh', 'scp', 'sftp', 'telnet', 'ftp', 'gdb', 'strace', 'ltrace', 'tcpdump', 'nmap']);
const BIN_DIR = /^\/(usr\/(local\/)?)?s?bin\/[^/]+$|^\/busybox\/[^/]+$|^\/bin\/[^/]+$/;
const TMP_DIRS = /^\/(tmp|var\/tmp|dev\/shm|run\/lock)(\/|$)/;

function finding(key: RuleKey, message: string, paths?: string[]): AuditFinding {
  const r = AUDIT_RULES[key];
  return { rule: r.id, key, severity: r.severity, title: r.title, message, ...(paths?.length ? { paths } : {}), fix: r.fix };
}

/** Follows symlinks inside the merged filesystem; undefined when dangling or looping. */
export function resolveEntry(files: Map<string, FsEntry>, path: string, depth = 0): FsEntry | undefined {
  const e = files.get(path);
  if (!e || depth > 16) return undefined;
  if (e.type !== 'symlink') return e;
  const target = e.linkname;
  const abs = target.startsWith('/') ? target : `${path.slice(0, path.lastIndexOf('/'))}/${target}`;
  const parts: string[] = [];
  for (const p of abs.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return resolveEntry(files, '/' + parts.join('/'), depth + 1);
}

/** Executables in bin directories whose name (or link target) is in `names`. */
function executables(files: Map<string, FsEntry>, names: Set<string>, pythonPip = false): string[] {
  const out: string[] = [];
  for (const [p, e] of files) {
    if (!BIN_DIR.test(p) || e.type === 'directory') continue;
    const base = p.slice(p.lastIndexOf('/') + 1);
    const match = names.has(base) || (pythonPip && /^pip3(\.\d+)?$/.test(base));
    if (!match) continue;
    const target = resolveEntry(files, p);
    if (target && (target.type === 'file' || target.type === 'hardlink')) out.push(p);
  }
  return out.sort();
}

/** Busybox applet links: symlinks or hard links that resolve to a busybox binary. */
function busyboxApplets(files: Map<string, FsEntry>): string[] {
  const out: string[] = [];
  for (const [p, e] of files) {
    if (e.type !== 'symlink' && e.type !== 'hardlink') continue;
    const target = e.type === 'hardlink' ? e.linkname : resolveEntry(files, p)?.path ?? '';
    if (/(^|\/)busybox$/.test(target) && !/(^|\/)busybox$/.test(p)) out.push(p);
  }
  return out.sort();
}

export { findSecrets, mask } from '../../util/mask.ts';

const LEFTOVERS: { re: RegExp; what: string }[] = [
  { re: /(^|\/)\.git$/, what: '.git directory' },
  { re: /\/(Dockerfile|Containerfile|docker-compose\.ya?ml|compose\.ya?ml)$/, what: 'Dockerfile or compose file' },
  { re: /^\/root\/\.(cache|npm|cargo\/registry|m2\/repository|gradle\/caches)$/, what: 'package manager cache' },
  { re: /^\/home\/[^/]+\/\.(cache|npm)$/, what: 'package manager cache' },
  { re: /^\/var\/cache\/apt\/archives\/[^/]+\.deb$/, what: 'downloaded .deb files' },
  { re: /^\/var\/lib\/apt\/lists\/[^/]+_Packages(\.\w+)?$/, what: 'apt package lists' },
  { re: /^\/var\/cache\/apk\/[^/]+$/, what: 'apk cache' },
];

/** Runs every check over the gathered input. */
export function runAudit(input: AuditInput): AuditReport {
  const { files, contents, config } = input;
  const findings: AuditFinding[] = [];

  const shells = executables(files, SHELLS);
  const applets = busyboxApplets(files);
  if (shells.length) {
    findings.push(finding('shell', `shell executables: ${shells.slice(0, 8).join(', ')}${shells.length > 8 ? ` (+${shells.length - 8} more)` : ''}${applets.length ? `; ${applets.length} busybox applet links` : ''}`, shells));
  } else if (applets.length) {
    findings.push(finding('shell', `${applets.length} busybox applet links (e.g. ${applets.slice(0, 3).join(', ')})`, applets.slice(0, 20)));
  }

  const pms = executables(files, PKG_MANAGERS, true);
  if (pms.length) findings.push(finding('packageManager', `package managers: ${pms.join(', ')}`, pms));
  const net = executables(files, NET_TOOLS);
  if (net.length) findings.push(finding('netTools', `network/debug tools: ${net.join(', ')}`, net));

  const setuid = [...files.values()].filter((e) => e.type === 'file' && (e.mode & 0o6000) !== 0).map((e) => e.path).sort();
  if (setuid.length) findings.push(finding('setuid', `${setuid.length} setuid/setgid files: ${setuid.slice(0, 8).join(', ')}${setuid.length > 8 ? ' …' : ''}`, setuid));

  const ww = [...files.values()]
    // Sticky world-writable directories are the /tmp pattern (users cannot remove each other's files).
    .filter((e) => (e.mode & 0o002) !== 0 && !TMP_DIRS.test(e.path) && (e.type === 'file' || (e.type === 'directory' && (e.mode & 0o1000) === 0)))
    .map((e) => e.path)
    .sort();
  if (ww.length) findings.push(finding('worldWritable', `${ww.length} world-writable paths: ${ww.slice(0, 8).join(', ')}${ww.length > 8 ? ' …' : ''}`, ww));

  const passwd = contents.get('/etc/passwd')?.toString('utf8');
  const user = config.config?.User ?? '';
  const who = resolveUser(user, userFilesFrom(contents));
  findings.push(...userFindings(who));
  findings.push(...passwdEntryFindings(who, passwd !== undefined));
  if (input.needs) findings.push(...missingLibraryFindings(input.needs), ...likelyMissingFindings(input.needs));

  for (const [path, data] of contents) {
    if (path === '/etc/passwd' || path === '/etc/group' || path === '/etc/shadow') continue;
    if (data.includes(0)) continue; // binary
    const text = data.toString('utf8');
    const base = path.slice(path.lastIndexOf('/') + 1);
    const hits = [...findSecrets(text), ...(/^\.env(\..+)?$|\.(env|properties|ini|conf)$/.test(base) ? secretAssignments(text) : [])];
    if (hits.length) {
      findings.push(finding('secretFile', `${path}: ${hits.map((h) => `${h.kind} ${mask(h.value)}`).join('; ')}`, [path]));
    }
  }
  for (const e of config.config?.Env ?? []) {
    const eq = e.indexOf('=');
    const k = e.slice(0, eq);
    const v = e.slice(eq + 1);
    const pattern = findSecrets(v);
    if (isSecretEnv(k, v)) {
      findings.push(finding('secretConfig', `ENV ${k}=${mask(v)}${pattern.length ? ` (${pattern[0]!.kind})` : ''}`));
    }
  }
  for (const [i, h] of (config.history ?? []).entries()) {
    const text = h.created_by ?? '';
    for (const hit of commandSecrets(text)) findings.push(finding('secretConfig', `history step ${i + 1}: ${hit.kind} ${mask(hit.value)}`));
  }

  const leftovers = new Map<string, string[]>();
  for (const p of files.keys()) {
    if (p.includes('/node_modules/')) continue;
    for (const l of LEFTOVERS) if (l.re.test(p)) leftovers.set(l.what, [...(leftovers.get(l.what) ?? []), p]);
  }
  for (const [what, paths] of leftovers) findings.push(finding('leftover', `${what}: ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ` (+${paths.length - 5} more)` : ''}`, paths));

  for (const [path, data] of contents) {
    if (!path.endsWith('/package.json')) continue;
    let dev: Record<string, string> = {};
    try {
      dev = (JSON.parse(data.toString('utf8')) as { devDependencies?: Record<string, string> }).devDependencies ?? {};
    } catch {
      continue;
    }
    const dir = path.slice(0, -'/package.json'.length);
    const present = Object.keys(dev).filter((n) => files.has(`${dir}/node_modules/${n}/package.json`)).sort();
    if (present.length) findings.push(finding('devDependency', `${dir}: devDependencies installed: ${present.join(', ')}`, present.map((n) => `${dir}/node_modules/${n}`)));
  }

  if (passwd) {
    // Ids compared as numbers, the way runtimes read them: "0" and "00" are the same uid.
    const byUid = new Map<number, string[]>();
    for (const e of parsePasswd(passwd)) {
      if (e.uidField === undefined) continue;
      if (e.uid !== null) byUid.set(e.uid, [...(byUid.get(e.uid) ?? []), e.name]);
      if (e.password === '') findings.push(finding('emptyPassword', `/etc/passwd: account ${JSON.stringify(e.name)} has an empty password field`));
    }
    for (const [uid, names] of byUid) if (names.length > 1) findings.push(finding('duplicateUid', `uid ${uid} is shared by ${names.map(showUser).join(', ')}`));
  }
  const shadow = contents.get('/etc/shadow')?.toString('utf8');
  for (const line of shadow?.split('\n') ?? []) {
    const f = line.split(':');
    if (f.length >= 2 && f[0] && f[1] === '') findings.push(finding('emptyPassword', `/etc/shadow: account "${f[0]}" has an empty password`));
  }

  const tag = input.reference ? referenceTag(input.reference) : undefined;
  if (tag !== undefined && (tag === 'latest' || tag.startsWith('debug'))) {
    findings.push(finding('mutableTag', `the image is referenced as :${tag}`));
  }
  if (!config.config?.Healthcheck?.Test?.length || config.config.Healthcheck.Test[0] === 'NONE') {
    findings.push(finding('noHealthcheck', 'the image config has no HEALTHCHECK'));
  }

  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.rule.localeCompare(b.rule));
  const penalty: Record<AuditSeverity, number> = { critical: 40, high: 20, medium: 8, low: 2, info: 0 };
  const counted = new Set<string>();
  let score = 100;
  for (const f of findings) {
    if (counted.has(f.rule)) continue;
    counted.add(f.rule);
    score -= penalty[f.severity];
  }
  score = Math.max(0, score);
  const grade = score >= 90 ? 'A' : score >= 75 ? 'B' : score >= 60 ? 'C' : score >= 40 ? 'D' : 'F';
  const facts: AuditFacts = {
    shells: shells.length ? shells : applets,
    packageManagers: pms,
    user,
    uid: who.uid ?? 'unknown',
    runsAsRoot: who.root,
    resolvedUser: who,
    setuidFiles: setuid.length,
    worldWritable: ww.length,
  };
  const distroless = facts.shells.length === 0 && pms.length === 0 && who.root === false;
  const verdict = distroless
    ? `distroless: no shell, no package manager, non-root (uid ${who.uid})`
    : `not distroless: ${[
        facts.shells.length ? `shell (${facts.shells.slice(0, 3).join(', ')}${facts.shells.length > 3 ? ', …' : ''})` : '',
        pms.length ? `package manager (${pms.slice(0, 3).map((p) => p.slice(p.lastIndexOf('/') + 1)).join(', ')})` : '',
        who.root === true ? 'runs as root' : who.root === 'unknown' ? `user ${showUser(user)} unresolved (${who.reason})` : '',
      ]
        .filter(Boolean)
        .join(', ')}`;
  return { findings, facts, grade, score, distroless, verdict };
}

/** DA006 (root), DA007 (a name Kubernetes cannot verify) and DA016 (unknown uid) for a resolved user. */
export function userFindings(who: UserResolution): AuditFinding[] {
  const out: AuditFinding[] = [];
  const shown = showUser(who.raw);
  if (who.root === true) {
    out.push(finding('rootUser', who.source === 'default' && who.raw === '' ? 'no USER is set, so the container runs as root (uid 0)' : `USER ${shown} is root (${describeUser(who)})`));
  } else if (who.root === 'unknown') {
    out.push(finding('unresolvedUser', `USER ${shown}: the uid cannot be known (${who.reason}); it may run as root or not start at all`));
  }
  const spec = parseUserSpec(who.raw);
  if (spec.kind === 'spec' && spec.user.kind === 'name' && spec.user.name !== 'root') {
    out.push(finding('namedUser', `USER ${shown} is a name${who.root === 'unknown' ? '' : ` (uid ${who.uid} in /etc/passwd)`}; Kubernetes runAsNonRoot cannot verify a name`));
  }
  return out;
}

/** The tag part of a reference string, if any (`oci:dir:tag`, `name:tag`, `name@sha256:…` → none). */
export function referenceTag(ref: string): string | undefined {
  if (ref.includes('@sha256:')) return undefined;
  const noScheme = ref.replace(/^(oci|oci-archive|docker-archive|podman|docker):/, '').replace(/^docker:\/\//, '');
  const slash = noScheme.lastIndexOf('/');
  const colon = noScheme.indexOf(':', slash + 1);
  if (colon === -1) return /^(oci|oci-archive|docker-archive):/.test(ref) ? undefined : 'latest';
  return noScheme.slice(colon + 1);
}
