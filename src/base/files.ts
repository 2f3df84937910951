/**
 * The files a distroless image carries that no Debian package installs (maintainer scripts would
 * create them, and distroless runs none): users and groups, nsswitch.conf, the home of `nonroot`,
 * /tmp, and the CA bundle that update-ca-certificates would have concatenated.
 */

export const NONROOT_UID = 65532;
export const NOBODY_UID = 65534;

export interface GeneratedFile {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  content?: Buffer;
  linkname?: string;
}

/** /etc/passwd as distroless has it: root, nobody and nonroot, none with a login shell. */
export function passwd(): string {
  return [
    'root:x:0:0:root:/root:/sbin/nologin',
    `nobody:x:${NOBODY_UID}:${NOBODY_UID}:nobody:/nonexistent:/sbin/nologin`,
    `nonroot:x:${NONROOT_UID}:${NONROOT_UID}:nonroot:/home/nonroot:/sbin/nologin`,
    '',
  ].join('\n');
}

export function group(): string {
  return ['root:x:0:', `nobody:x:${NOBODY_UID}:`, `tty:x:5:`, `staff:x:50:`, `nonroot:x:${NONROOT_UID}:`, ''].join('\n');
}

/** Files-only name service, so glibc never looks for NIS or systemd modules that are absent. */
export function nsswitch(): string {
  return ['passwd:         files', 'group:          files', 'shadow:         files', 'hosts:          files dns', 'networks:       files', 'protocols:      files', 'services:       files', 'ethers:         files', 'rpc:            files', ''].join('\n');
}

/**
 * The CA bundle from the certificates ca-certificates installs under /usr/share/ca-certificates,
 * in sorted path order as update-ca-certificates concatenates them.
 */
export function caBundle(certs: Map<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const path of [...certs.keys()].sort()) {
    const pem = certs.get(path)!;
    parts.push(pem);
    if (pem.length && pem[pem.length - 1] !== 0x0a) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** The generated part of the root filesystem (everything but package contents). */
export function distrolessFiles(opts: { caBundle?: Buffer }): GeneratedFile[] {
  const f = (path: string, content: string | Buffer, mode = 0o644): GeneratedFile => ({
    path,
    type: 'file',
    mode,
    uid: 0,
    gid: 0,
    content: Buffer.isBuffer(content) ? content : Buffer.from(content),
  });
  const d = (path: string, mode = 0o755, uid = 0): GeneratedFile => ({ path, type: 'directory', mode, uid, gid: uid });
  const out: GeneratedFile[] = [
    d('etc'),
    f('etc/passwd', passwd()),
    f('etc/group', group()),
    f('etc/nsswitch.conf', nsswitch()),
    d('home'),
    d('home/nonroot', 0o700, NONROOT_UID),
    d('root', 0o700),
    d('tmp', 0o1777),
    d('var'),
    d('var/lib'),
    d('var/lib/dpkg'),
    d('var/lib/dpkg/status.d'),
  ];
  if (opts.caBundle) {
    out.push(d('etc/ssl'), d('etc/ssl/certs'), f('etc/ssl/certs/ca-certificates.crt', opts.caBundle));
  }
  return out;
}
