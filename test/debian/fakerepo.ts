/**
 * Test helpers: build .debs with `dpkg-deb --build`, lay out a tiny signed apt repository of them
 * (Packages, Packages.xz, Packages.gz, InRelease signed with a key generated here), and serve a
 * directory over loopback HTTP with hooks to tamper with or break responses.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as openpgp from 'openpgp';

/** A fresh temp directory. */
export function tmp(prefix = 'distill-deb-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** One package to build. */
export interface DebSpec {
  name: string;
  version: string;
  arch?: string;
  depends?: string;
  preDepends?: string;
  provides?: string;
  /** Files to ship: path (relative, no leading slash) to content. */
  files?: Record<string, string | Buffer>;
  conffiles?: string[];
  compression?: 'gzip' | 'xz' | 'zstd' | 'none';
}

/** Builds a .deb with dpkg-deb; returns its path. */
export function buildDeb(spec: DebSpec, outDir: string): string {
  const root = mkdtempSync(join(tmpdir(), 'distill-debroot-'));
  chmodSync(root, 0o755);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  const md5: string[] = [];
  for (const [p, content] of Object.entries(spec.files ?? {})) {
    const full = join(root, p);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    md5.push(`${createHash('md5').update(content).digest('hex')}  ${p}`);
  }
  const lines = [
    `Package: ${spec.name}`,
    `Version: ${spec.version}`,
    `Architecture: ${spec.arch ?? 'amd64'}`,
    'Maintainer: Test <test@example.invalid>',
    'Section: misc',
    'Priority: optional',
  ];
  if (spec.preDepends) lines.push(`Pre-Depends: ${spec.preDepends}`);
  if (spec.depends) lines.push(`Depends: ${spec.depends}`);
  if (spec.provides) lines.push(`Provides: ${spec.provides}`);
  lines.push(`Description: test package ${spec.name}`, ' A package built by the distill tests.', ' .', ' Second paragraph.');
  writeFileSync(join(root, 'DEBIAN/control'), lines.join('\n') + '\n');
  if (md5.length) writeFileSync(join(root, 'DEBIAN/md5sums'), md5.join('\n') + '\n');
  if (spec.conffiles?.length) writeFileSync(join(root, 'DEBIAN/conffiles'), spec.conffiles.join('\n') + '\n');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${spec.name}_${spec.version}_${spec.arch ?? 'amd64'}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${spec.compression ?? 'xz'}`, '--build', root, out], { stdio: 'pipe' });
  return out;
}

/** A signing key and the public keyring files for it. */
export interface TestKey {
  privateKey: openpgp.PrivateKey;
  /** Binary (.gpg) keyring path. */
  keyring: string;
  /** ASCII-armored (.asc) keyring path. */
  armoredKeyring: string;
}

/** Generates a signing key and writes its public keyring in both formats under `dir`. */
export async function makeKey(dir: string, name = 'distill test archive'): Promise<TestKey> {
  const { privateKey } = await openpgp.generateKey({ type: 'ecc', userIDs: [{ name }], format: 'object' });
  const pub = privateKey.toPublic();
  const keyring = join(dir, `${name.replace(/\W+/g, '-')}.gpg`);
  const armoredKeyring = join(dir, `${name.replace(/\W+/g, '-')}.asc`);
  writeFileSync(keyring, pub.write());
  writeFileSync(armoredKeyring, pub.armor());
  return { privateKey, keyring, armoredKeyring };
}

/** Cleartext-signs `text` with `key`. */
export async function clearsign(text: string, key: openpgp.PrivateKey): Promise<string> {
  const message = await openpgp.createCleartextMessage({ text });
  return openpgp.sign({ message, signingKeys: key });
}

/** A repository on disk. */
export interface FakeRepo {
  root: string;
  suite: string;
  /** Packages paragraphs as written. */
  packagesText: string;
  /** Release text as signed. */
  releaseText: string;
  debs: Record<string, string>;
}

/** Writes a signed repository of `specs` under `root` (suite `suite`, component main, amd64). */
export async function makeRepo(
  root: string,
  specs: DebSpec[],
  key: openpgp.PrivateKey,
  opts: {
    suite?: string;
    extraRelease?: string;
    formats?: ('xz' | 'gz' | 'plain')[];
    /** Put arch:all packages in binary-all/Packages and list `all` in Architectures. */
    splitAll?: boolean;
    /** Also serve every index under by-hash/SHA256/<hex> and say Acquire-By-Hash: yes. */
    byHash?: boolean;
  } = {},
): Promise<FakeRepo> {
  const suite = opts.suite ?? 'testing-distill';
  const pool = join(root, 'pool/main');
  const debs: Record<string, string> = {};
  const paragraphs: string[] = [];
  const allParagraphs: string[] = [];
  for (const s of specs) {
    const deb = buildDeb(s, pool);
    debs[s.name] = deb;
    const bytes = readFileSync(deb);
    const control = execFileSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' }).trimEnd();
    const stanza = `${control}\nFilename: pool/main/${deb.split('/').pop()}\nSize: ${bytes.length}\nSHA256: ${createHash('sha256').update(bytes).digest('hex')}\n`;
    (opts.splitAll && (s.arch ?? 'amd64') === 'all' ? allParagraphs : paragraphs).push(stanza);
  }
  const packagesText = paragraphs.join('\n');
  const dist = join(root, 'dists', suite);
  const formats = opts.formats ?? ['xz', 'gz', 'plain'];
  const files: Record<string, Buffer> = {};
  const indexes: [string, string][] = [['binary-amd64', packagesText]];
  if (opts.splitAll) indexes.push(['binary-all', allParagraphs.join('\n')]);
  for (const [dir, text] of indexes) {
    mkdirSync(join(dist, 'main', dir, 'by-hash/SHA256'), { recursive: true });
    const plain = Buffer.from(text);
    files[`main/${dir}/Packages`] = plain;
    if (formats.includes('gz')) files[`main/${dir}/Packages.gz`] = gzipSync(plain);
    if (formats.includes('xz')) files[`main/${dir}/Packages.xz`] = execFileSync('xz', ['-c', '--check=crc64'], { input: plain });
  }
  for (const [p, b] of Object.entries(files)) {
    if (p.endsWith('/Packages') && !formats.includes('plain')) continue;
    writeFileSync(join(dist, p), b);
    if (opts.byHash) writeFileSync(join(dist, dirname(p), 'by-hash/SHA256', createHash('sha256').update(b).digest('hex')), b);
  }
  const sha = Object.entries(files)
    .map(([p, b]) => ` ${createHash('sha256').update(b).digest('hex')} ${String(b.length).padStart(8)} ${p}`)
    .join('\n');
  const releaseText = [
    'Origin: distill-test',
    'Label: distill-test',
    `Suite: ${suite}`,
    `Codename: ${suite}`,
    `Date: ${new Date(Date.now() - 3600_000).toUTCString()}`,
    `Architectures: ${opts.splitAll ? 'all amd64' : 'amd64'}`,
    'Components: main',
    ...(opts.byHash ? ['Acquire-By-Hash: yes'] : []),
    ...(opts.extraRelease ? [opts.extraRelease] : []),
    'SHA256:',
    sha,
  ].join('\n') + '\n';
  writeFileSync(join(dist, 'Release'), releaseText);
  writeFileSync(join(dist, 'InRelease'), await clearsign(releaseText, key));
  return { root, suite, packagesText, releaseText, debs };
}

/** How the server answers one request; return true when handled. */
export type Hook = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/** A loopback HTTP server over a directory. */
export interface TestServer {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  /** Replace a file's bytes as served (tampering), by URL path. */
  override: Map<string, Buffer>;
  hooks: Hook[];
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1 on a free port. */
export async function serve(root: string): Promise<TestServer> {
  const requests: string[] = [];
  const override = new Map<string, Buffer>();
  const hooks: Hook[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    for (const h of hooks) if (h(req, res, path)) return;
    const body = override.get(path) ?? readIfFile(join(root, normalize(path)));
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    override,
    hooks,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function readIfFile(p: string): Buffer | undefined {
  try {
    return statSync(p).isFile() ? readFileSync(p) : undefined;
  } catch {
    return undefined;
  }
}
