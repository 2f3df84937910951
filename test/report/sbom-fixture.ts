/** One SBOM with every package type and license shape the writers must handle. */
import type { Sbom } from '../../src/analyze/sbom.ts';

export function fixtureSbom(): Sbom {
  return {
    source: { type: 'image', name: 'oci-archive:app.tar', digest: 'sha256:' + 'ab'.repeat(32) },
    distro: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    packages: [
      { name: 'libc6', version: '2.36-9+deb12u4', type: 'deb', purl: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12', arch: 'amd64', sourceName: 'glibc', sourceVersion: '2.36-9+deb12u4', locations: ['/var/lib/dpkg/status'], cataloger: 'dpkg' },
      { name: '@babel/core', version: '7.24.0', type: 'npm', purl: 'pkg:npm/%40babel/core@7.24.0', licenses: ['MIT'], locations: ['/app/node_modules/@babel/core/package.json'], cataloger: 'npm' },
      { name: 'left-pad', version: '1.3.0', type: 'npm', purl: 'pkg:npm/left-pad@1.3.0', licenses: ['WTFPL'], locations: ['/a/node_modules/left-pad/package.json'], cataloger: 'npm' },
      { name: 'left-pad', version: '1.3.0', type: 'npm', purl: 'pkg:npm/left-pad@1.3.0', licenses: ['WTFPL'], locations: ['/b/node_modules/left-pad/package.json'], cataloger: 'npm' },
      { name: 'requests', version: '2.31.0', type: 'pypi', purl: 'pkg:pypi/requests@2.31.0', licenses: ['Apache 2.0'], locations: ['/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA'], cataloger: 'python' },
      { name: 'dual', version: '1', type: 'pypi', purl: 'pkg:pypi/dual@1', licenses: ['MIT OR Apache-2.0'], locations: ['/m'], cataloger: 'python' },
      { name: 'org.apache.commons:commons-lang3', version: '3.14.0', type: 'maven', purl: 'pkg:maven/org.apache.commons/commons-lang3@3.14.0', locations: ['/app.jar!/BOOT-INF/lib/commons-lang3-3.14.0.jar'], cataloger: 'java', metadata: { groupId: 'org.apache.commons', artifactId: 'commons-lang3' } },
      { name: 'stdlib', version: '1.19.8', type: 'golang', purl: 'pkg:golang/stdlib@1.19.8', locations: ['/usr/local/bin/hello'], cataloger: 'go', metadata: { role: 'stdlib' } },
      { name: 'node', version: '20.11.1', type: 'binary', purl: 'pkg:generic/node@20.11.1', licenses: ['MIT', 'Some Custom License'], locations: ['/usr/local/bin/node'], cataloger: 'node-binary' },
    ],
    warnings: [],
  };
}
