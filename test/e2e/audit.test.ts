/** audit on real images: a Debian rootfs (mmdebstrap) and a `distill base` nonroot image. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';
import { debianDockerArchive } from '../helpers/debian.ts';
import { tempDir } from '../helpers/images.ts';

test('a Debian rootfs image: audit finds sh, bash, apt, dpkg and setuid files', async () => {
  const { archive } = debianDockerArchive();
  const r = await runDistill(['audit', `docker-archive:${archive}`, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  const paths = (rule: string) => j.findings.filter((f: { rule: string }) => f.rule === rule).flatMap((f: { paths?: string[] }) => f.paths ?? []);
  const names = (rule: string) => paths(rule).map((p: string) => p.slice(p.lastIndexOf('/') + 1));
  for (const s of ['sh', 'bash', 'dash']) assert.ok(names('DA001').includes(s), `shell ${s}`);
  for (const pm of ['apt', 'apt-get', 'dpkg']) assert.ok(names('DA002').includes(pm), `package manager ${pm}`);
  assert.ok(paths('DA004').some((p: string) => p.endsWith('/passwd') || p.endsWith('/su')), 'setuid passwd or su');
  assert.equal(j.facts.runsAsRoot, true);
  assert.equal(j.distroless, false);
});

test('a distill base nonroot image: no shell, no package manager, no root findings', async () => {
  const d = tempDir();
  const b = await runDistill(['base', 'static', '-o', join(d, 'static'), '--tags', 'nonroot', '-q']);
  assert.equal(b.code, 0, b.stderr);
  const r = await runDistill(['audit', `oci:${join(d, 'static')}:nonroot`, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const rules = j.findings.map((f: { rule: string }) => f.rule);
  for (const bad of ['DA001', 'DA002', 'DA006', 'DA007']) assert.equal(rules.includes(bad), false, `${bad} must not be reported`);
  assert.equal(j.verdict, 'distroless: no shell, no package manager, non-root (uid 65532)');
});
