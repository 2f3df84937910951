/**
 * The Java trust store (`/etc/ssl/certs/java/cacerts`, where the JRE's lib/security/cacerts points)
 * built from the same CA certificates as /etc/ssl/certs/ca-certificates.crt.
 *
 * Debian makes this file in ca-certificates-java's trigger, which runs `java` itself to import
 * every certificate; a distroless build runs no maintainer script and the java flavour leaves that
 * package out, so without this file Java trusts no CA at all. The keystore is written by hand
 * rather than by running keytool because (1) the build must not need a JDK on the build host,
 * (2) keytool stamps every entry with the current time, so its output is never reproducible, and
 * (3) JKS holding only trusted certificates is a small fixed format: magic 0xFEEDFEED, version 2,
 * entry count, then per entry tag 2, alias (Java modified UTF-8), creation time in milliseconds,
 * certificate type "X.509" and the DER bytes, then a SHA-1 over the password as UTF-16BE, the
 * ASCII salt "Mighty Aphrodite" and every preceding byte. Entries are sorted by alias and carry
 * one fixed time (SOURCE_DATE_EPOCH), so the same certificates always give the same bytes.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { basename } from 'node:path';
import { DistillError } from '../util/errors.ts';

/** Path of the trust store in the image (no leading slash), as ca-certificates-java places it. */
export const JAVA_CACERTS_PATH = 'etc/ssl/certs/java/cacerts';
/** The password every JRE uses by default for its cacerts (only guards integrity, not secrecy). */
export const JAVA_CACERTS_PASSWORD = 'changeit';

const MAGIC = 0xfeedfeed;
const VERSION = 2;
const TRUSTED_CERT_TAG = 2;
const SALT = 'Mighty Aphrodite';

/** One trusted certificate of the store. */
export interface TrustedCert {
  /** Lower-case alias (JKS folds aliases to lower case when it loads them). */
  alias: string;
  /** DER encoding of the X.509 certificate. */
  der: Buffer;
}

/** Encodes `s` as java.io.DataOutput.writeUTF does: 2-byte length, then modified UTF-8. */
function writeUtf(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i); // UTF-16 code units, surrogates each encoded on their own
    if (c >= 0x01 && c <= 0x7f) bytes.push(c);
    else if (c <= 0x7ff) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  if (bytes.length > 0xffff) throw new DistillError(s.slice(0, 40), 'keystore string longer than 65535 bytes', { code: 'E_INPUT' });
  const out = Buffer.alloc(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  Buffer.from(bytes).copy(out, 2);
  return out;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/**
 * The DER certificates of a PEM text, in order. A block that is not an X.509 certificate fails,
 * naming `source`: a trust store must not silently lose a CA.
 */
export function pemCertificates(pem: string, source: string): Buffer[] {
  const out: Buffer[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) {
    const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    try {
      new X509Certificate(der);
    } catch (e) {
      throw new DistillError(source, `not an X.509 certificate: ${e instanceof Error ? e.message : String(e)}`, { code: 'E_INPUT' });
    }
    out.push(der);
  }
  return out;
}

/**
 * The trusted certificates of the CA files ca-certificates installs (path -> PEM), with the
 * aliases ca-certificates-java gives them: `debian:<file name>.pem`, lower case; a file holding
 * several certificates gets `-2`, `-3`… on the later ones.
 */
export function trustedCertsFromPem(files: ReadonlyMap<string, Buffer>): TrustedCert[] {
  const out: TrustedCert[] = [];
  const seen = new Set<string>();
  for (const path of [...files.keys()].sort()) {
    const ders = pemCertificates(files.get(path)!.toString('latin1'), path);
    const stem = `debian:${basename(path).replace(/\.crt$/, '')}`.toLowerCase();
    ders.forEach((der, i) => {
      let alias = `${stem}${i ? `-${i + 1}` : ''}.pem`;
      for (let n = 2; seen.has(alias); n++) alias = `${stem}-${i + 1}-${n}.pem`;
      seen.add(alias);
      out.push({ alias, der });
    });
  }
  return out;
}

/**
 * A JKS keystore holding `certs` as trusted-certificate entries, sorted by alias, each dated
 * `when`, sealed with `password`. Same inputs, same bytes.
 */
export function jksTrustStore(certs: readonly TrustedCert[], when: Date, password: string = JAVA_CACERTS_PASSWORD): Buffer {
  const sorted = [...certs].sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
  const parts: Buffer[] = [int32(MAGIC), int32(VERSION), int32(sorted.length)];
  const ms = Buffer.alloc(8);
  ms.writeBigInt64BE(BigInt(when.getTime()), 0);
  const type = writeUtf('X.509');
  let last: string | undefined;
  for (const c of sorted) {
    if (c.alias !== c.alias.toLowerCase()) throw new DistillError(c.alias, 'JKS alias must be lower case (Java folds it when loading)', { code: 'E_INPUT' });
    if (c.alias === last) throw new DistillError(c.alias, 'alias appears twice in the trust store', { code: 'E_INPUT' });
    last = c.alias;
    parts.push(int32(TRUSTED_CERT_TAG), writeUtf(c.alias), ms, type, int32(c.der.length), c.der);
  }
  const body = Buffer.concat(parts);
  const pw = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i++) pw.writeUInt16BE(password.charCodeAt(i), i * 2);
  const digest = createHash('sha1').update(pw).update(SALT, 'utf8').update(body).digest();
  return Buffer.concat([body, digest]);
}

/** The java cacerts file for the CA files ca-certificates installs (path -> PEM). */
export function javaCacerts(files: ReadonlyMap<string, Buffer>, when: Date): Buffer {
  return jksTrustStore(trustedCertsFromPem(files), when);
}

/** Whether packages named `names` carry a JRE whose lib/security/cacerts points at our file. */
export function wantsJavaCacerts(names: Iterable<string>): boolean {
  for (const n of names) if (/^openjdk-\d+-jre-headless$/.test(n)) return true;
  return false;
}

/** The entries to add to the layer: the java directory and the trust store (mode 0644, root). */
export function javaCacertsEntries(files: ReadonlyMap<string, Buffer>, when: Date): { name: string; type: 'directory' | 'file'; mode: number; uid: 0; gid: 0; size?: number; content?: Buffer }[] {
  const content = javaCacerts(files, when);
  return [
    { name: 'etc/ssl/certs/java', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
    { name: JAVA_CACERTS_PATH, type: 'file', mode: 0o644, uid: 0, gid: 0, size: content.length, content },
  ];
}
