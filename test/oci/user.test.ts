/**
 * The user resolver (src/oci/user.ts), then the same table through every command that answers
 * "does it run as root?" — inspect, audit, verify (its claim from the image) and compare — which
 * must all give the one answer the resolver gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describeUser, needsUserFiles, parseId, parsePasswd, resolveUser, showUser, type UserFiles, type UserResolution } from '../../src/oci/user.ts';
import { makeImage, tempDir, type TestEntry } from '../helpers/images.ts';
import { inspectImage } from '../../src/inspect/inspect.ts';
import { auditImage } from '../../src/analyze/audit/index.ts';
import { claimedNonRoot } from '../../src/runtime/verify.ts';
import { compareImages, comparisonMarkdown, rootCell } from '../../src/report/compare.ts';
import { writeImage } from '../../src/oci/reference.ts';

// A Debian-like distroless /etc/passwd and /etc/group, plus an app account.
const PASSWD = [
  'root:x:0:0:root:/root:/sbin/nologin',
  'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin',
  'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin',
  'app:x:1000:1000:app user:/app:/sbin/nologin',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'nobody:x:65534:', 'nonroot:x:65532:', 'app:x:1000:app', ''].join('\n');

/** What a row must resolve to: a known uid (with gid, name and source) or unknown. */
type Want = { root: boolean; uid: number; gid: number | null; name: string | null; source: 'default' | 'numeric' | 'passwd'; reason?: RegExp } | { root: 'unknown'; reason: RegExp };

const ROOT_W = (source: 'default' | 'numeric' | 'passwd', gid: number | null = 0): Want => ({ root: true, uid: 0, gid, name: 'root', source });
const ROOT_N = (source: 'default' | 'numeric', gid: number | null = null): Want => ({ root: true, uid: 0, gid, name: null, source });
const UNKNOWN = (reason: RegExp): Want => ({ root: 'unknown', reason });
const NO_PASSWD = /no \/etc\/passwd in the image/;

/** [User, with passwd/group files, without them]. */
const TABLE: [string, Want, Want][] = [
  ['', ROOT_W('default'), ROOT_N('default')],
  ['0', ROOT_W('numeric'), ROOT_N('numeric')],
  ['00', ROOT_W('numeric'), ROOT_N('numeric')],
  ['000', ROOT_W('numeric'), ROOT_N('numeric')],
  ['0000000000000000000000000000000', ROOT_W('numeric'), ROOT_N('numeric')],
  ['+0', ROOT_W('numeric'), ROOT_N('numeric')],
  ['0:0', ROOT_W('numeric'), ROOT_N('numeric', 0)],
  ['00:00', ROOT_W('numeric'), ROOT_N('numeric', 0)],
  ['0:1000', ROOT_W('numeric', 1000), ROOT_N('numeric', 1000)],
  [':1000', ROOT_W('default', 1000), ROOT_N('default', 1000)],
  ['root', ROOT_W('passwd'), UNKNOWN(NO_PASSWD)],
  ['root:root', ROOT_W('passwd'), UNKNOWN(NO_PASSWD)],
  ['65532', { root: false, uid: 65532, gid: 65532, name: 'nonroot', source: 'numeric' }, { root: false, uid: 65532, gid: null, name: null, source: 'numeric' }],
  ['065532', { root: false, uid: 65532, gid: 65532, name: 'nonroot', source: 'numeric' }, { root: false, uid: 65532, gid: null, name: null, source: 'numeric' }],
  ['65532:65532', { root: false, uid: 65532, gid: 65532, name: 'nonroot', source: 'numeric' }, { root: false, uid: 65532, gid: 65532, name: null, source: 'numeric' }],
  ['65532:0', { root: false, uid: 65532, gid: 0, name: 'nonroot', source: 'numeric' }, { root: false, uid: 65532, gid: 0, name: null, source: 'numeric' }],
  ['nonroot', { root: false, uid: 65532, gid: 65532, name: 'nonroot', source: 'passwd' }, UNKNOWN(NO_PASSWD)],
  ['nobody', { root: false, uid: 65534, gid: 65534, name: 'nobody', source: 'passwd' }, UNKNOWN(NO_PASSWD)],
  ['1000:1000', { root: false, uid: 1000, gid: 1000, name: 'app', source: 'numeric' }, { root: false, uid: 1000, gid: 1000, name: null, source: 'numeric' }],
  ['app', { root: false, uid: 1000, gid: 1000, name: 'app', source: 'passwd' }, UNKNOWN(NO_PASSWD)],
  ['app:app', { root: false, uid: 1000, gid: 1000, name: 'app', source: 'passwd' }, UNKNOWN(NO_PASSWD)],
  ['app:ghosts', { root: false, uid: 1000, gid: null, name: 'app', source: 'passwd', reason: /group ghosts is not in \/etc\/group/ }, UNKNOWN(NO_PASSWD)],
  ['65532:staff', { root: false, uid: 65532, gid: null, name: 'nonroot', source: 'numeric', reason: /group staff is not in/ }, { root: false, uid: 65532, gid: null, name: null, source: 'numeric', reason: /no \/etc\/group/ }],
  ['2147483647', { root: false, uid: 2147483647, gid: null, name: null, source: 'numeric' }, { root: false, uid: 2147483647, gid: null, name: null, source: 'numeric' }],
  ['ghost', UNKNOWN(/ghost is not in \/etc\/passwd/), UNKNOWN(NO_PASSWD)],
  ['-1', UNKNOWN(/outside 0\.\.2147483647/), UNKNOWN(/outside/)],
  ['2147483648', UNKNOWN(/outside/), UNKNOWN(/outside/)],
  ['4294967296', UNKNOWN(/outside/), UNKNOWN(/outside/)],
  ['99999999999999999999999', UNKNOWN(/outside/), UNKNOWN(/outside/)],
  ['65532:-1', { root: false, uid: 65532, gid: null, name: 'nonroot', source: 'numeric', reason: /group id -1 is outside/ }, { root: false, uid: 65532, gid: null, name: null, source: 'numeric', reason: /outside/ }],
  ['0:0:0', UNKNOWN(/more than one ':'/), UNKNOWN(/more than one ':'/)],
  // Odd and hostile names: looked up as they are, never trimmed, guessed or printed raw.
  ['0 ', UNKNOWN(/"0 " is not in \/etc\/passwd/), UNKNOWN(NO_PASSWD)],
  [' root', UNKNOWN(/" root" is not in/), UNKNOWN(NO_PASSWD)],
  ['root\n', UNKNOWN(/"root\\n" is not in/), UNKNOWN(NO_PASSWD)],
  ['\u001b[31mroot', UNKNOWN(/"\\u001b\[31mroot" is not in/), UNKNOWN(NO_PASSWD)],
  ['../../etc/shadow', UNKNOWN(/"\.\.\/\.\.\/etc\/shadow" is not in/), UNKNOWN(NO_PASSWD)],
  ['$(id -u)', UNKNOWN(/is not in/), UNKNOWN(NO_PASSWD)],
  ['０', UNKNOWN(/is not in/), UNKNOWN(NO_PASSWD)],
  ['a|b', UNKNOWN(/"a\|b" is not in/), UNKNOWN(NO_PASSWD)],
];

const FILES: UserFiles = { passwd: PASSWD, group: GROUP };

function check(got: UserResolution, want: Want, what: string): void {
  assert.equal(got.root, want.root, `${what}: root (${JSON.stringify(got)})`);
  if (want.root === 'unknown') {
    assert.deepEqual([got.uid, got.gid, got.name, got.source], [null, null, null, 'unresolved'], what);
    assert.match(got.reason ?? '', want.reason, what);
    return;
  }
  assert.deepEqual([got.uid, got.gid, got.name, got.source], [want.uid, want.gid, want.name, want.source], what);
  if (want.reason) assert.match(got.reason ?? '', want.reason, what);
  else assert.equal(got.reason, undefined, `${what}: no reason`);
  assert.equal(got.root, got.uid === 0, `${what}: root iff uid 0`);
}

test('resolveUser: the table, with the image\'s passwd/group and without them', () => {
  for (const [raw, withFiles, without] of TABLE) {
    check(resolveUser(raw, FILES), withFiles, `${JSON.stringify(raw)} with files`);
    check(resolveUser(raw, {}), without, `${JSON.stringify(raw)} without files`);
    assert.equal(resolveUser(raw, FILES).raw, raw);
  }
  assert.deepEqual(resolveUser(undefined), resolveUser(''), 'an unset User is the empty one');
});

test('a passwd entry decides by name, first match wins; an entry without a valid uid is unknown, not uid 0', () => {
  const passwd = [
    '  toor:x:00:0::/:/sbin/nologin  ', // leading zeros: uid 0, so root
    'svc:x:1001:1001::/:/sbin/nologin\r',
    'svc:x:0:0::/:/bin/sh', // a later duplicate never wins
    'evil:x:abc:0::/:/bin/sh', // runc reads "abc" as 0
    'bare',
    'big:x:4294967296:0::/:/bin/sh', // out of range (older containerd releases truncate it to uid 0)
    '',
  ].join('\n');
  check(resolveUser('toor', { passwd }), { root: true, uid: 0, gid: 0, name: 'toor', source: 'passwd' }, 'toor');
  check(resolveUser('svc', { passwd }), { root: false, uid: 1001, gid: 1001, name: 'svc', source: 'passwd' }, 'svc');
  check(resolveUser('evil', { passwd }), UNKNOWN(/no valid uid \(abc\)/), 'evil');
  check(resolveUser('bare', { passwd }), UNKNOWN(/no valid uid/), 'bare');
  check(resolveUser('big', { passwd }), UNKNOWN(/no valid uid \(4294967296\)/), 'big');
  // A numeric user takes its name and group from the first entry with a valid, equal uid.
  check(resolveUser('0', { passwd }), { root: true, uid: 0, gid: 0, name: 'toor', source: 'numeric' }, '0');
  assert.deepEqual(parsePasswd(passwd).map((e) => [e.name, e.uid]), [['toor', 0], ['svc', 1001], ['svc', 0], ['evil', null], ['bare', null], ['big', null]]);
});

test('group names resolve through /etc/group; a group without a valid gid leaves gid unknown, not the uid', () => {
  const group = 'staff:x:50:\nodd:x:xyz:\n';
  check(resolveUser('1000:staff', { group }), { root: false, uid: 1000, gid: 50, name: null, source: 'numeric' }, '1000:staff');
  check(resolveUser('1000:odd', { group }), { root: false, uid: 1000, gid: null, name: null, source: 'numeric', reason: /no valid gid \(xyz\)/ }, '1000:odd');
  check(resolveUser('0:staff', { group }), { root: true, uid: 0, gid: 50, name: null, source: 'numeric' }, '0:staff');
  check(resolveUser('65532:', FILES), { root: false, uid: 65532, gid: 65532, name: 'nonroot', source: 'numeric' }, 'an empty group part keeps the passwd group');
});

test('ids read the way Go runtimes read them; only names need the files; text is safe to print', () => {
  assert.deepEqual(['0', '00', '+7', '-0', '0065532', '2147483647', '2147483648', '-1', '1e3', '0x10', '', ' 1'].map(parseId), [0, 0, 7, 0, 65532, 2147483647, 'range', 'range', null, null, null, null]);
  assert.deepEqual(['', '0', '65532:65532', 'app', '1000:app', '-1', 'a:b:c'].map(needsUserFiles), [false, false, false, true, true, false, false]);
  assert.equal(showUser('65532:65532'), '65532:65532');
  assert.equal(showUser('\u001b]0;pwned\u0007'), '"\\u001b]0;pwned\\u0007"');
  assert.equal(showUser('x'.repeat(500)).length, 64 + 3, 'long names are cut');
  assert.equal(describeUser(resolveUser('', FILES)), 'uid 0 gid 0 (root, no USER set)');
  assert.equal(describeUser(resolveUser('nonroot', FILES)), 'uid 65532 gid 65532 (nonroot)');
  assert.match(describeUser(resolveUser('app', {})), /^unknown: no \/etc\/passwd in the image to look app up in$/);
});

/** The image for a row: an app binary, plus /etc/passwd and /etc/group when `files`. */
async function rowImage(user: string, files: boolean) {
  const entries: TestEntry[] = [{ name: 'app/', type: 'directory' }, { name: 'app/server', content: 'ELF', mode: 0o755 }];
  if (files) entries.push({ name: 'etc/', type: 'directory' }, { name: 'etc/passwd', content: PASSWD }, { name: 'etc/group', content: GROUP });
  return makeImage([entries], { user, entrypoint: ['/app/server'] });
}

test('inspect, audit, verify and compare give the resolver\'s answer for every row of the table', async () => {
  const dir = tempDir();
  const rows = TABLE.flatMap(([raw, withFiles, without]) => [
    { raw, files: true, want: withFiles },
    { raw, files: false, want: without },
  ]);
  const refs: string[] = [];
  const answers: { inspect: UserResolution; inspectRoot: unknown; audit: UserResolution; auditRoot: unknown; verify: Awaited<ReturnType<typeof claimedNonRoot>> }[] = [];
  for (const [i, row] of rows.entries()) {
    const img = await rowImage(row.raw, row.files);
    const ref = `oci:${join(dir, `img${i}`)}:v1`;
    await writeImage(img, ref);
    refs.push(ref);
    const ins = await inspectImage(img);
    const aud = await auditImage(img);
    answers.push({ inspect: ins.config.resolvedUser, inspectRoot: ins.config.runsAsRoot, audit: aud.facts.resolvedUser, auditRoot: aud.facts.runsAsRoot, verify: await claimedNonRoot(img) });
  }
  const compared = await compareImages(refs, { dbDir: join(dir, 'no-db') });
  for (const [i, row] of rows.entries()) {
    const what = `${JSON.stringify(row.raw)} ${row.files ? 'with' : 'without'} passwd`;
    const a = answers[i]!;
    const cmp = compared.images[i]!;
    const expected = resolveUser(row.raw, row.files ? FILES : {});
    check(expected, row.want, what);
    // One answer, four commands.
    assert.deepEqual(a.inspect, expected, `${what}: inspect`);
    assert.deepEqual(a.audit, expected, `${what}: audit`);
    assert.deepEqual(a.verify.user, expected, `${what}: verify`);
    assert.deepEqual(cmp.audit.facts.resolvedUser, expected, `${what}: compare`);
    assert.deepEqual([a.inspectRoot, a.auditRoot, cmp.runsAsRoot], [expected.root, expected.root, expected.root], `${what}: runsAsRoot`);
    // And each says it the same way.
    assert.equal(a.verify.check.status, expected.root === true ? 'fail' : expected.root === false ? 'pass' : 'unknown', `${what}: verify's non-root check`);
    assert.match(rootCell(cmp), expected.root === true ? /^yes/ : expected.root === false ? /^no \(user / : /^unknown \(user /, `${what}: compare's root? row`);
  }
  // Every Markdown row keeps one cell per image, whatever the users hold (a "|" is escaped).
  const md = comparisonMarkdown(compared, (n) => `${n} B`).split('\n').filter((l) => l.startsWith('|'));
  for (const line of md) assert.equal(line.split(/(?<!\\)\|/).length, rows.length + 3, line.slice(0, 40));
});

test('audit: User "00" is a root finding and not grade A; a user that cannot be resolved is not graded A either', async () => {
  for (const [user, files] of [['00', false], ['00', true], ['00:00', true], ['000', false]] as const) {
    const r = await auditImage(await rowImage(user, files));
    assert.equal(r.facts.runsAsRoot, true, user);
    assert.equal(r.facts.uid, 0, user);
    assert.ok(r.findings.some((f) => f.rule === 'DA006'), `${user}: DA006`);
    assert.notEqual(r.grade, 'A', user);
    assert.equal(r.distroless, false, user);
  }
  for (const [user, files, rules] of [['app', false, ['DA007', 'DA016']], ['4294967296', true, ['DA016']], ['root', false, ['DA016']]] as const) {
    const r = await auditImage(await rowImage(user, files));
    assert.equal(r.facts.runsAsRoot, 'unknown', user);
    assert.deepEqual(r.findings.map((f) => f.rule).filter((x) => ['DA006', 'DA007', 'DA016'].includes(x)).sort(), [...rules], user);
    assert.notEqual(r.grade, 'A', user);
    assert.match(r.verdict, /unresolved/, user);
  }
  const ok = await auditImage(await rowImage('nonroot', true));
  assert.deepEqual([ok.facts.runsAsRoot, ok.facts.uid, ok.distroless], [false, 65532, true]);
});
