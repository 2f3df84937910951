/** Pending security updates against the real mirror of this machine's apt sources. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeImage, tempDir } from '../helpers/images.ts';
import { writeImage } from '../../src/oci/reference.ts';
import { runDistill, ROOT } from '../helpers/cli.ts';

test('an old glibc in a Debian image shows the newer version and the CVEs its changelog names', async () => {
  const dir = tempDir();
  const img = await makeImage([
    [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' },
      { name: 'var/', type: 'directory' },
      { name: 'var/lib/', type: 'directory' },
      { name: 'var/lib/dpkg/', type: 'directory' },
      { name: 'var/lib/dpkg/status.d/', type: 'directory' },
      { name: 'var/lib/dpkg/status.d/libc6', content: 'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u3\n' },
    ],
  ]);
  const ref = `oci:${join(dir, 'old')}:v1`;
  await writeImage(img, ref);
  const cache = tempDir('distill-pending-cache-');
  await runDistill(['db', 'import', join(ROOT, 'test/fixtures/osv/db')], { env: { DISTILL_CACHE_DIR: cache } });
  const r = await runDistill(['scan', ref, '--pending-updates', '--json'], { env: { DISTILL_CACHE_DIR: cache } });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const u = j.pendingUpdates.find((x: { package: string }) => x.package === 'libc6');
  assert.ok(u, 'libc6 has a pending update');
  assert.equal(u.installed, '2.36-9+deb12u3');
  assert.notEqual(u.available, u.installed);
  // deb12u4 fixed the syslog heap overflow; every later glibc changelog still lists it
  assert.ok(u.cves.includes('CVE-2023-6246'), `CVE-2023-6246 in ${u.cves.join(' ')}`);
  assert.deepEqual(u.cves, [...new Set(u.cves as string[])].sort(), 'unique and sorted');
  for (const c of u.cves) assert.match(c, /^CVE-\d{4}-\d{4,}$/);
});
