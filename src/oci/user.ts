/**
 * The one answer to "which uid does this image run as, and is that root?", shared by inspect,
 * audit, verify, compare and policy. It parses a config `User` (`user[:group]`) and resolves it
 * against the text of the image's /etc/passwd and /etc/group the way the Go runtimes do (runc's
 * and moby's user package, containerd, the kubelet): a number is a decimal uid as strconv.Atoi
 * reads it (leading zeros and a sign allowed, so "00" and "+0" are uid 0), a name is looked up,
 * the first matching entry wins, an empty user is uid 0. Wherever they would fail, disagree or
 * have to guess (a name with no entry, an id out of range, a passwd entry whose uid is not a
 * number — runc reads that as 0), the answer is "unknown", never a claim either way.
 * Pure: callers read the files. Hand-written: no npm library parses Docker's user spec or passwd.
 */

/** The largest uid/gid runtimes accept (moby's user package, Kubernetes' runAsUser validation). */
export const MAX_ID = 2 ** 31 - 1;

/** One side of `user[:group]`, as written. */
export type IdPart =
  | { kind: 'empty' }
  | { kind: 'id'; id: number }
  | { kind: 'name'; name: string }
  | { kind: 'invalid'; why: string };

/** A parsed `User`: the user part, and the group part when there is a `:`. */
export type UserSpec = { kind: 'spec'; user: IdPart; group: IdPart | null } | { kind: 'invalid'; why: string };

/** /etc/passwd and /etc/group as text; a missing key means the image has no such (readable) file. */
export interface UserFiles {
  passwd?: string;
  group?: string;
}

/** Where a resolved uid came from: no user (runtimes default to 0), a number, or a passwd entry. */
export type UserSource = 'default' | 'numeric' | 'passwd';

interface Resolved {
  /** The config `User`, as written ('' when unset). */
  raw: string;
  uid: number;
  /** The group the process gets; null when neither the User nor /etc/passwd names one (runtimes then use 0). */
  gid: number | null;
  /** The account name in /etc/passwd, when there is an entry. */
  name: string | null;
  source: UserSource;
  /** Set when the group could not be resolved (the uid still is). */
  reason?: string;
}

/** What an image's `User` means. `root` is true exactly when the uid is 0, 'unknown' when the uid is not known. */
export type UserResolution =
  | (Resolved & { root: true; uid: 0 })
  | (Resolved & { root: false })
  | { raw: string; uid: null; gid: null; name: null; root: 'unknown'; source: 'unresolved'; reason: string };

/** A passwd or group line's fields; ids are null when the field is missing or not a valid id. */
export interface PasswdEntry {
  name: string;
  password: string;
  uid: number | null;
  gid: number | null;
  uidField: string | undefined;
}
export interface GroupEntry {
  name: string;
  gid: number | null;
  gidField: string | undefined;
}

/** A string shown to a person: plain when it is a short ordinary name or number, else JSON-quoted (control characters escaped), at most 64 characters. */
export function showUser(s: string): string {
  if (/^[A-Za-z0-9._+-][A-Za-z0-9._:+-]{0,63}$/.test(s)) return s;
  const cut = s.length > 64 ? `${s.slice(0, 64)}…` : s;
  return JSON.stringify(cut);
}

/** A decimal id as strconv.Atoi reads it: null when it is not a number; 'range' when outside 0..MAX_ID. */
export function parseId(s: string): number | 'range' | null {
  const m = /^([+-]?)([0-9]+)$/.exec(s);
  if (!m) return null;
  const digits = m[2]!.replace(/^0+(?=.)/, '');
  // Compared as text first: a 30-digit uid must not round to something in range.
  if (digits.length > 10) return 'range';
  const n = Number(digits) * (m[1] === '-' ? -1 : 1);
  if (n === 0) return 0; // "-0" is 0 to Atoi too; and never a JS -0
  return n < 0 || n > MAX_ID ? 'range' : n;
}

function idPart(s: string, what: 'user' | 'group'): IdPart {
  if (s === '') return { kind: 'empty' };
  const n = parseId(s);
  if (n === 'range') return { kind: 'invalid', why: `${what} id ${showUser(s)} is outside 0..${MAX_ID}` };
  if (n !== null) return { kind: 'id', id: n };
  return { kind: 'name', name: s };
}

/** Splits a config `User` into its user and group parts; more than one `:` is invalid (runtimes disagree on it). */
export function parseUserSpec(raw: string): UserSpec {
  const parts = raw.split(':');
  if (parts.length > 2) return { kind: 'invalid', why: `${showUser(raw)} has more than one ':'` };
  return { kind: 'spec', user: idPart(parts[0]!, 'user'), group: parts.length === 2 ? idPart(parts[1]!, 'group') : null };
}

/** Whether resolving `raw` needs /etc/passwd or /etc/group at all (a name on either side). */
export function needsUserFiles(raw: string): boolean {
  const s = parseUserSpec(raw);
  return s.kind === 'spec' && (s.user.kind === 'name' || s.group?.kind === 'name');
}

function validId(field: string | undefined): number | null {
  const n = field === undefined ? null : parseId(field);
  return typeof n === 'number' ? n : null;
}

/** Lines of a passwd/group file as runc reads them: trimmed, empty ones skipped, split on ':'. */
function records(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(':'));
}

/** Parses /etc/passwd text (name:password:uid:gid:gecos:home:shell). */
export function parsePasswd(text: string): PasswdEntry[] {
  return records(text).map((f) => ({ name: f[0]!, password: f[1] ?? '', uid: validId(f[2]), gid: validId(f[3]), uidField: f[2] }));
}

/** Parses /etc/group text (name:password:gid:members). */
export function parseGroup(text: string): GroupEntry[] {
  return records(text).map((f) => ({ name: f[0]!, gid: validId(f[2]), gidField: f[2] }));
}

function unresolved(raw: string, reason: string): UserResolution {
  return { raw, uid: null, gid: null, name: null, root: 'unknown', source: 'unresolved', reason };
}

function known(r: Resolved): UserResolution {
  return r.uid === 0 ? { ...r, uid: 0, root: true } : { ...r, root: false };
}

/** The gid an explicit group part names, or why it names none. */
function groupId(part: IdPart, files: UserFiles): { gid: number } | { reason: string } {
  switch (part.kind) {
    case 'id':
      return { gid: part.id };
    case 'invalid':
      return { reason: part.why };
    case 'name': {
      if (files.group === undefined) return { reason: `no /etc/group in the image to look group ${showUser(part.name)} up in` };
      const g = parseGroup(files.group).find((e) => e.name === part.name);
      if (!g) return { reason: `group ${showUser(part.name)} is not in /etc/group` };
      if (g.gid === null) return { reason: `/etc/group gives group ${showUser(part.name)} no valid gid (${showUser(g.gidField ?? '')})` };
      return { gid: g.gid };
    }
    case 'empty':
      return { reason: 'empty group' }; // not reached: an empty group part keeps the passwd group
  }
}

/** Resolves a config `User` against the image's passwd/group text (see the module comment for the rules). */
export function resolveUser(user: string | undefined, files: UserFiles = {}): UserResolution {
  const raw = user ?? '';
  const spec = parseUserSpec(raw);
  if (spec.kind === 'invalid') return unresolved(raw, spec.why);
  const passwd = files.passwd === undefined ? undefined : parsePasswd(files.passwd);
  let uid: number;
  let source: UserSource;
  let entry: PasswdEntry | undefined;
  const u = spec.user;
  if (u.kind === 'invalid') return unresolved(raw, u.why);
  if (u.kind === 'name') {
    if (passwd === undefined) return unresolved(raw, `no /etc/passwd in the image to look ${showUser(u.name)} up in`);
    entry = passwd.find((e) => e.name === u.name);
    if (!entry) return unresolved(raw, `${showUser(u.name)} is not in /etc/passwd`);
    // runc reads a uid field that is not a number as 0; other readers fail: neither is a fact.
    if (entry.uid === null) return unresolved(raw, `/etc/passwd gives ${showUser(u.name)} no valid uid (${showUser(entry.uidField ?? '')})`);
    uid = entry.uid;
    source = 'passwd';
  } else {
    uid = u.kind === 'id' ? u.id : 0;
    source = u.kind === 'id' ? 'numeric' : 'default';
    entry = passwd?.find((e) => e.uid === uid);
  }
  const base = { raw, uid, name: entry?.name ?? null, source };
  const g = spec.group;
  if (g === null || g.kind === 'empty') return known({ ...base, gid: entry?.gid ?? null });
  const gr = groupId(g, files);
  return known('gid' in gr ? { ...base, gid: gr.gid } : { ...base, gid: null, reason: gr.reason });
}

/** One line for people: "uid 65532 (nonroot)", "uid 0 (root, no USER set)", or "unknown: why". */
export function describeUser(r: UserResolution): string {
  if (r.root === 'unknown') return `unknown: ${r.reason}`;
  const who = [r.name !== null ? showUser(r.name) : '', r.source === 'default' ? (r.raw === '' ? 'no USER set' : 'empty user part') : ''].filter(Boolean).join(', ');
  const gid = r.gid !== null ? ` gid ${r.gid}` : '';
  return `uid ${r.uid}${gid}${who ? ` (${who})` : ''}${r.reason ? `; ${r.reason}` : ''}`;
}
