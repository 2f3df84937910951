/**
 * A Node.js runtime installed from a release tarball (e.g. `/usr/local/bin/node`, the official
 * Node images, or `/nodejs/bin/node` in distroless ones), which no package database records. The
 * version is read from the binary itself: Node embeds its user agent `node.js/vX.Y.Z` and the
 * release URL path `/release/vX.Y.Z/node-vX.Y.Z` (checked against the real binary of Node 20).
 */
import { ELF_MAGIC } from '../../elf/index.ts';
import { purl, type Cataloger, type Package, type StreamScanner } from '../package.ts';

const UA = Buffer.from('node.js/v', 'latin1');
const RELEASE = Buffer.from('/release/v', 'latin1');

const UA_RE = /^node\.js\/v(\d+\.\d+\.\d+)(?![\d.])/;
const RELEASE_RE = /^\/release\/v(\d+\.\d+\.\d+)\/node-v\1/;
/** Bytes a marker plus its version can span. */
const SPAN = 64;

/** The version after the first `marker` that starts at or before `maxStart`. */
function findVersion(b: Buffer, marker: Buffer, re: RegExp, maxStart: number): string | undefined {
  for (let i = b.indexOf(marker); i >= 0 && i <= maxStart; i = b.indexOf(marker, i + 1)) {
    const m = re.exec(b.toString('latin1', i, i + SPAN));
    if (m) return m[1];
  }
  return undefined;
}

/** The Node.js version a node binary carries, or undefined. */
export function nodeVersionFromBinary(b: Buffer): string | undefined {
  return findVersion(b, UA, UA_RE, b.length) ?? findVersion(b, RELEASE, RELEASE_RE, b.length);
}

function nodePackage(version: string, path: string): Package {
  return { name: 'node', version, type: 'binary', purl: purl('generic', undefined, 'node', version), locations: [path], cataloger: 'node-binary' };
}

/** Streams a binary looking for the markers; keeps SPAN bytes between chunks, never the file. */
export class NodeScanner implements StreamScanner {
  private tail = Buffer.alloc(0);
  private fallback: string | undefined;
  private version: string | undefined;

  constructor(private readonly path: string) {}

  write(c: Buffer): boolean {
    const win = this.tail.length ? Buffer.concat([this.tail, c]) : c;
    // Only matches that fit whole in the window count; later bytes may extend a version.
    const maxStart = win.length - SPAN;
    this.version = findVersion(win, UA, UA_RE, maxStart);
    if (this.version) return false;
    this.fallback ??= findVersion(win, RELEASE, RELEASE_RE, maxStart);
    this.tail = Buffer.from(win.subarray(Math.max(0, maxStart + 1)));
    return true;
  }

  end(): Package[] {
    if (!this.version && this.tail.length) {
      this.version = findVersion(this.tail, UA, UA_RE, this.tail.length);
      this.fallback ??= findVersion(this.tail, RELEASE, RELEASE_RE, this.tail.length);
    }
    const v = this.version ?? this.fallback;
    return v ? [nodePackage(v, this.path)] : [];
  }
}

export const nodeBinaryCataloger: Cataloger = {
  name: 'node-binary',
  maxSize: 256 * 1024 * 1024,
  magic: ELF_MAGIC,
  wants: (path, info) => /\/(node|nodejs)$/.test(path) && (info.mode & 0o111) !== 0,
  parse(path, content): Package[] {
    const version = nodeVersionFromBinary(content);
    if (!version) return [];
    return [nodePackage(version, path)];
  },
  scan: (path) => new NodeScanner(path),
};
