import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cvesSince } from '../../src/vuln/pending.ts';

const changelog = `glibc (2.36-9+deb12u4) bookworm-security; urgency=medium

  * Fix a heap overflow in syslog (CVE-2023-6246) and an off-by-one
    (CVE-2023-6779, CVE-2023-6780).

 -- Maintainer <m@example.org>  Tue, 30 Jan 2024 00:00:00 +0000

glibc (2.36-9+deb12u3) bookworm; urgency=medium

  * Fix CVE-2023-4911 (Looney Tunables).

 -- Maintainer <m@example.org>  Tue, 03 Oct 2023 00:00:00 +0000

glibc (2.36-9+deb12u2) bookworm; urgency=medium

  * Fix CVE-2023-4527.
`;

test('cvesSince takes only entries newer than the installed version', () => {
  assert.deepEqual(cvesSince(changelog, '2.36-9+deb12u3'), ['CVE-2023-6246', 'CVE-2023-6779', 'CVE-2023-6780']);
  assert.deepEqual(cvesSince(changelog, '2.36-9+deb12u2'), ['CVE-2023-4911', 'CVE-2023-6246', 'CVE-2023-6779', 'CVE-2023-6780']);
  assert.deepEqual(cvesSince(changelog, '2.36-9+deb12u4'), []);
});
