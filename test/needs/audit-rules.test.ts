/**
 * audit's run-time completeness rules on images made in-process with real programs: DA017 when a
 * binary's libraries do not resolve (a cgo binary on a static base), none once they do; DA018 for
 * a likely need the image lacks; DA019 for a runtime uid that /etc/passwd does not list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { auditImage } from '../../src/analyze/audit/index.ts';
import type { AuditFinding } from '../../src/analyze/audit/checks.ts';
import { makeImage, type TestEntry } from '../helpers/images.ts';
import { cgoProgram, hintProgram, hostLib } from './programs.ts';

const ready = process.arch === 'x64' && hostLib('libc.so.6');
const passwd: TestEntry = { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n' };
const glibc = (): TestEntry[] => [
  { name: 'lib64', type: 'symlink', linkname: '/usr/lib/x86_64-linux-gnu' },
  ...['ld-linux-x86-64.so.2', 'libc.so.6'].map((n) => ({ name: `usr/lib/x86_64-linux-gnu/${n}`, content: readFileSync(realpathSync(hostLib(n)!)) })),
];
const rules = (r: { findings: AuditFinding[] }, id: string): AuditFinding[] => r.findings.filter((f) => f.rule === id);

test('DA017: a cgo binary on an image without glibc is reported with the missing libc.so.6; with glibc it is not', { skip: ready ? false : 'needs go and gcc on an x86-64 glibc host' }, async () => {
  const bin = cgoProgram();
  if (!bin) return;
  const server: TestEntry = { name: 'app/server', content: readFileSync(bin), mode: 0o755 };
  const broken = await auditImage(await makeImage([[passwd, server]], { user: '65532' }));
  const [f, ...rest] = rules(broken, 'DA017');
  assert.equal(rest.length, 0);
  assert.equal(f?.severity, 'high');
  assert.match(f!.message, /^\/app\/server: loader \/lib64\/ld-linux-x86-64\.so\.2 missing; libc\.so\.6 missing$/);
  assert.deepEqual(f.paths, ['/app/server']);
  const fixed = await auditImage(await makeImage([[passwd, ...glibc(), server]], { user: '65532' }));
  assert.deepEqual(rules(fixed, 'DA017'), []);
});

test('DA018: a program naming the CA bundle on an image without one; satisfied once the bundle is there', { skip: ready ? false : 'needs gcc on an x86-64 glibc host' }, async () => {
  const bin = hintProgram();
  if (!bin) return;
  const app: TestEntry = { name: 'app/hinted', content: readFileSync(bin), mode: 0o755 };
  const bare = await auditImage(await makeImage([[passwd, ...glibc(), app]], { user: '65532' }));
  const msgs = rules(bare, 'DA018').map((f) => f.message);
  assert.ok(msgs.some((m) => /likely needs CA certificates: \/app\/hinted mentions/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /likely needs libssl\.so\.3/.test(m)), msgs.join('\n'));
  const ca: TestEntry = { name: 'etc/ssl/certs/ca-certificates.crt', content: '-----BEGIN CERTIFICATE-----\n' };
  const withCa = await auditImage(await makeImage([[passwd, ...glibc(), ca, app]], { user: '65532' }));
  assert.ok(!rules(withCa, 'DA018').some((f) => /CA certificates/.test(f.message)));
});

test('DA019: a non-root uid with no /etc/passwd entry; none for a listed uid or for root', async () => {
  const none = await auditImage(await makeImage([[passwd]], { user: '1000' }));
  assert.match(rules(none, 'DA019')[0]?.message ?? '', /^uid 1000 has no entry in \/etc\/passwd/);
  const nofile = await auditImage(await makeImage([[{ name: 'app/x', content: 'x' }]], { user: '1000' }));
  assert.match(rules(nofile, 'DA019')[0]?.message ?? '', /no \/etc\/passwd/);
  assert.deepEqual(rules(await auditImage(await makeImage([[passwd]], { user: '65532' })), 'DA019'), []);
  assert.deepEqual(rules(await auditImage(await makeImage([[passwd]], { user: '0' })), 'DA019'), []);
});
