/**
 * A Node.js runtime installed from a release tarball (e.g. `/usr/local/bin/node`, the official
 * Node images, or `/nodejs/bin/node` in distroless ones), which no package database records. The
 * version is read from the binary itself: Node embeds its user agent `node.js/vX.Y.Z` and the
 * release URL path `/release/vX.Y.Z/node-vX.Y.Z` (checked against the real binary of Node 20).
 */
import { purl, type Cataloger, type Package } from '../package.ts';

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const UA = Buffer.from('node.js/v', 'latin1');
const RELEASE = Buffer.from('/release/v', 'latin1');

/** The Node.js version a node binary carries, or undefined. */
export function nodeVersionFromBinary(b: Buffer): string | undefined {
  for (const [marker, re] of [
    [UA, /^node\.js\/v(\d+\.\d+\.\d+)(?![\d.])/],
    [RELEASE, /^\/release\/v(\d+\.\d+\.\d+)\/node-v\1/],
  ] as const) {
    for (let i = b.indexOf(marker); i >= 0; i = b.indexOf(marker, i + 1)) {
      const m = re.exec(b.toString('latin1', i, i + 64));
      if (m) return m[1];
    }
  }
  return undefined;
}

export const nodeBinaryCataloger: Cataloger = {
  name: 'node-binary',
  maxSize: 256 * 1024 * 1024,
  magic: ELF,
  wants: (path, info) => /\/(node|nodejs)$/.test(path) && (info.mode & 0o111) !== 0,
  parse(path, content): Package[] {
    const version = nodeVersionFromBinary(content);
    if (!version) return [];
    return [{ name: 'node', version, type: 'binary', purl: purl('generic', undefined, 'node', version), locations: [path], cataloger: 'node-binary' }];
  },
};
