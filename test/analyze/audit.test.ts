import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeImage, tempDir } from '../helpers/images.ts';
import { auditImage } from '../../src/analyze/audit/index.ts';
import { referenceTag } from '../../src/analyze/audit/checks.ts';
import { writeImage } from '../../src/oci/reference.ts';
import { runDistill } from '../helpers/cli.ts';
import { writeFileSync } from 'node:fs';

const dir = (name: string, mode = 0o755) => ({ name, type: 'directory' as const, mode });
const passwd = 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n';

test('a clean non-root image is distroless and graded A', async () => {
  const img = await makeImage([[dir('etc/'), { name: 'etc/passwd', content: passwd }, dir('app/'), { name: 'app/server', content: 'ELF', mode: 0o755 }, dir('tmp/', 0o1777)]], { user: '65532' });
  const r = await auditImage(img);
  assert.equal(r.distroless, true);
  assert.equal(r.verdict, 'distroless: no shell, no package manager, non-root (uid 65532)');
  assert.deepEqual(r.findings.map((f) => f.rule), ['DA015']);
  assert.equal(r.grade, 'A');
});

test('shells, busybox applets, package managers, tools and setuid files are found; dangling links are not', async () => {
  const img = await makeImage([
    [
      dir('bin/'),
      { name: 'bin/bash', content: 'x', mode: 0o755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'bash' },
      { name: 'bin/zsh', type: 'symlink', linkname: '/nowhere/zsh' },
      dir('usr/'),
      dir('usr/bin/'),
      { name: 'usr/bin/apt-get', content: 'x', mode: 0o755 },
      { name: 'usr/bin/pip3.11', content: 'x', mode: 0o755 },
      { name: 'usr/bin/curl', content: 'x', mode: 0o755 },
      { name: 'usr/bin/passwd', content: 'x', mode: 0o4755 },
      dir('busybox/'),
      { name: 'busybox/busybox', content: 'x', mode: 0o755 },
      { name: 'busybox/ls', type: 'symlink', linkname: 'busybox' },
    ],
  ], { user: '65532' });
  const r = await auditImage(img);
  const by = Object.fromEntries(r.findings.map((f) => [f.rule, f]));
  assert.deepEqual(by.DA001!.paths, ['/bin/bash', '/bin/sh', '/busybox/busybox']);
  assert.match(by.DA001!.message, /1 busybox applet links/);
  assert.deepEqual(by.DA002!.paths, ['/usr/bin/apt-get', '/usr/bin/pip3.11']);
  assert.deepEqual(by.DA003!.paths, ['/usr/bin/curl']);
  assert.deepEqual(by.DA004!.paths, ['/usr/bin/passwd']);
  assert.equal(r.distroless, false);
  assert.match(r.verdict, /^not distroless: shell \(\/bin\/bash, \/bin\/sh, \/busybox\/busybox\), package manager \(apt-get, pip3\.11\)$/);
});

test('a later layer removing the shell (whiteout) makes it disappear from the audit', async () => {
  const img = await makeImage([[dir('bin/'), { name: 'bin/sh', content: 'x', mode: 0o755 }], [{ name: 'bin/.wh.sh', content: '' }]], { user: '1000' });
  const r = await auditImage(img);
  assert.equal(r.findings.some((f) => f.rule === 'DA001'), false);
});

test('root user variants, named and unresolvable users produce DA006 / DA007 / DA016', async () => {
  for (const [user, rules] of [['', ['DA006']], ['0:0', ['DA006']], ['00', ['DA006']], ['nonroot', ['DA007']], ['toor', ['DA006', 'DA007']], ['ghost', ['DA007', 'DA016']], ['-1', ['DA016']]] as const) {
    const img = await makeImage([[dir('etc/'), { name: 'etc/passwd', content: passwd + 'toor:x:0:0::/:/sbin/nologin\n' }]], { user });
    const r = await auditImage(img);
    assert.deepEqual(r.findings.map((f) => f.rule).filter((x) => x === 'DA006' || x === 'DA007' || x === 'DA016').sort(), [...rules], `user ${JSON.stringify(user)}`);
  }
});

test('root written with leading zeros ("00", "000", "00:00") runs as uid 0: root, DA006, not distroless', async () => {
  for (const user of ['00', '000', '00:00', '0000:000']) {
    const img = await makeImage([[dir('etc/'), { name: 'etc/passwd', content: passwd }, dir('app/'), { name: 'app/server', content: 'ELF', mode: 0o755 }]], { user });
    const r = await auditImage(img);
    assert.equal(r.facts.uid, 0, `user ${user}`);
    assert.equal(r.facts.runsAsRoot, true, `user ${user}`);
    assert.ok(r.findings.some((f) => f.rule === 'DA006'), `user ${user}: ${r.findings.map((f) => f.rule).join(',')}`);
    assert.equal(r.distroless, false, `user ${user}`);
    assert.notEqual(r.grade, 'A', `user ${user}`);
  }
});

test('secrets in files, ENV and history are found and never printed in full', async () => {
  const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n-----END OPENSSH PRIVATE KEY-----\n';
  const aws = 'AKIAIOSFODNN7EXAMPLE';
  const img = await makeImage(
    [
      [
        dir('app/'),
        { name: 'app/.env', content: `DB_PASSWORD=hunter2hunter2\nPORT=8080\nAPI_KEY_FILE=/run/secrets/key\n` },
        { name: 'app/deploy_key', content: key },
        { name: 'app/config.yaml', content: `aws_access_key_id: ${aws}\n` },
        dir('usr/'),
        dir('usr/share/'),
        dir('usr/share/doc/'),
        { name: 'usr/share/doc/example.txt', content: `example: ${aws}\n` },
      ],
    ],
    { user: '65532', env: { GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', LOG_LEVEL: 'debug' } },
  );
  const r = await auditImage(img);
  const files = r.findings.filter((f) => f.rule === 'DA008').map((f) => f.paths![0]).sort();
  assert.deepEqual(files, ['/app/.env', '/app/config.yaml', '/app/deploy_key'], 'system docs are not scanned');
  const cfg = r.findings.filter((f) => f.rule === 'DA009');
  assert.equal(cfg.length, 1);
  assert.match(cfg[0]!.message, /^ENV GITHUB_TOKEN=ghp_…\(40 chars\)/);
  const all = JSON.stringify(r);
  for (const secret of ['hunter2hunter2', aws, 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789']) {
    assert.equal(all.includes(secret), false, `${secret.slice(0, 6)} leaked`);
  }
});

test('leftovers, dev dependencies, duplicate uids, empty passwords and world-writable paths', async () => {
  const pkg = JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { express: '4' }, devDependencies: { mocha: '10', eslint: '9' } });
  const img = await makeImage([
    [
      dir('etc/'),
      { name: 'etc/passwd', content: passwd + 'backup:x:0:0::/:/bin/false\nguest::1001:1001::/:/bin/false\n' },
      dir('app/'),
      { name: 'app/package.json', content: pkg },
      dir('app/.git/'),
      { name: 'app/Dockerfile', content: 'FROM scratch\n' },
      dir('app/node_modules/'),
      dir('app/node_modules/mocha/'),
      { name: 'app/node_modules/mocha/package.json', content: '{"name":"mocha","version":"10.0.0"}' },
      dir('app/node_modules/express/'),
      { name: 'app/node_modules/express/package.json', content: '{"name":"express","version":"4.0.0"}' },
      dir('data/', 0o777),
      dir('tmp/', 0o1777),
    ],
  ], { user: '65532' });
  const r = await auditImage(img);
  const by = (rule: string) => r.findings.filter((f) => f.rule === rule);
  assert.deepEqual(by('DA010').map((f) => f.message).sort(), ['.git directory: /app/.git', 'Dockerfile or compose file: /app/Dockerfile']);
  assert.deepEqual(by('DA011')[0]!.paths, ['/app/node_modules/mocha']);
  assert.match(by('DA012')[0]!.message, /uid 0 is shared by root, backup/);
  assert.match(by('DA013')[0]!.message, /"guest"/);
  assert.deepEqual(by('DA005')[0]!.paths, ['/data']);
});

test('distill audit CLI: sarif, --fail-on, ignore file, exit codes', async () => {
  const d = tempDir();
  const img = await makeImage([[dir('bin/'), { name: 'bin/sh', content: 'x', mode: 0o755 }]], { user: '65532' });
  await writeImage(img, `oci:${join(d, 'img')}:v1`);
  const ref = `oci:${join(d, 'img')}:v1`;
  const text = await runDistill(['audit', ref]);
  assert.equal(text.code, 1, 'a shell is high severity, the default --fail-on');
  assert.match(text.stdout, /not distroless: shell \(\/bin\/sh\)/);
  const low = await runDistill(['audit', ref, '--fail-on', 'critical']);
  assert.equal(low.code, 0);
  const sarif = await runDistill(['audit', ref, '--format', 'sarif', '--fail-on', 'none']);
  const log = JSON.parse(sarif.stdout);
  assert.equal(log.version, '2.1.0');
  assert.equal(log.runs[0].results[0].ruleId, 'DA001');
  assert.equal(log.runs[0].tool.driver.rules[log.runs[0].results[0].ruleIndex].id, 'DA001');
  const ign = join(d, 'ignore.yaml');
  writeFileSync(ign, '- rule: DA001\n  path: /bin/sh\n  reason: test fixture\n');
  const ignored = await runDistill(['audit', ref, '--ignore-file', ign, '--json']);
  assert.equal(ignored.code, 0);
  const j = JSON.parse(ignored.stdout);
  assert.equal(j.ignored[0].rule, 'DA001');
  assert.equal(j.ignored[0].reason, 'test fixture');
  const bad = await runDistill(['audit', `oci:${join(d, 'missing')}`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^distill: oci:.*missing: no such directory/);
});

test('referenceTag reads tags of every transport', () => {
  assert.equal(referenceTag('oci:/x/y:debug'), 'debug');
  assert.equal(referenceTag('oci:/x/y'), undefined);
  assert.equal(referenceTag('example.com/app'), 'latest');
  assert.equal(referenceTag('example.com:5000/app:1.2'), '1.2');
  assert.equal(referenceTag('example.com/app@sha256:' + 'a'.repeat(64)), undefined);
});
