/**
 * What a program likely needs at run time that its dynamic section does not say: libraries it
 * dlopen()s by name, the files glibc, Go, OpenSSL, .NET and Java read on their own (CA bundle,
 * time zones, passwd and nsswitch, ICU, locale data, cacerts). Found as strings in the program's
 * bytes (or, for .NET, in its runtimeconfig.json), each with the evidence that raised it, and
 * reported as "likely needs", never as proven: a string in a binary is not a code path taken.
 */

/** The kinds of hint, one per thing a distroless image is usually missing. */
export type HintKind = 'dlopen' | 'ca-bundle' | 'tzdata' | 'passwd' | 'nsswitch' | 'icu' | 'locale' | 'java-cacerts';

/** A likely need, with the string and file that raised it. */
export interface Hint {
  kind: HintKind;
  /** What is needed: a soname for dlopen, otherwise a short description. */
  what: string;
  /** The file whose bytes (or settings) raised the hint. */
  evidence: { path: string; found: string };
}

/** The strings looked for, and what each one suggests. */
const NEEDLES: { needle: string; kind: HintKind; what: string }[] = [
  { needle: 'libnss_', kind: 'dlopen', what: 'libnss_*' },
  { needle: 'libgcc_s.so', kind: 'dlopen', what: 'libgcc_s.so.1' },
  { needle: 'libssl.so', kind: 'dlopen', what: 'libssl' },
  { needle: 'libcrypto.so', kind: 'dlopen', what: 'libcrypto' },
  { needle: '/etc/ssl/certs', kind: 'ca-bundle', what: 'CA certificates' },
  { needle: 'ca-certificates.crt', kind: 'ca-bundle', what: 'CA certificates' },
  { needle: '/usr/share/zoneinfo', kind: 'tzdata', what: 'time zone data' },
  { needle: '/etc/passwd', kind: 'passwd', what: '/etc/passwd entries' },
  { needle: '/etc/nsswitch.conf', kind: 'nsswitch', what: '/etc/nsswitch.conf' },
  { needle: 'libicuuc.so', kind: 'icu', what: 'ICU (libicuuc)' },
  { needle: 'locale-archive', kind: 'locale', what: 'locale data' },
];
const NEEDLE_BUFS = NEEDLES.map((n) => ({ ...n, buf: Buffer.from(n.needle, 'latin1') }));
const OVERLAP = Math.max(...NEEDLES.map((n) => n.needle.length)) + 96;

/**
 * The name at a hit: the soname `libssl.so.3` for `libssl.so`, the path `/etc/ssl/certs/` for
 * `/etc/ssl/certs`. Go packs its strings without separators, so a name stops where its kind of
 * characters stops (digits end a path, anything but a version ends a soname).
 */
function around(b: Buffer, at: number, needle: string): string {
  const from = Math.max(0, at - 48);
  const w = b.toString('latin1', from, Math.min(b.length, at + needle.length + 64));
  const i = at - from;
  const re = needle.startsWith('lib') ? /lib[A-Za-z0-9_+-]*?\.so(\.[0-9]+)*/y : /[A-Za-z_.+\-/]*/y;
  re.lastIndex = i;
  const name = re.exec(w)?.[0] || needle;
  if (needle.startsWith('lib')) return name;
  // Packed strings run paths together: a second absolute path starts where the first one ends.
  const next = name.slice(needle.length).search(/\/(etc|usr|var|lib|proc|sys|dev|run|tmp|opt|home|bin|sbin)\//);
  if (needle.startsWith('/')) return next < 0 ? name : name.slice(0, needle.length + next);
  // A bare file name: take the directory in front of it too (`/etc/ssl/certs/ca-certificates.crt`).
  let s = i;
  while (s > 0 && i - s < 48 && /[A-Za-z_.\-/]/.test(w[s - 1]!)) s--;
  return w.slice(s, i) + name;
}

/**
 * Looks for the hint strings in one file's bytes as they stream past (chunks in order), keeping
 * a small overlap so a string split across chunks is still seen; memory stays a few hundred bytes.
 */
export class HintScanner {
  private tail = Buffer.alloc(0);
  private readonly found = new Map<string, Hint>();

  constructor(readonly path: string) {}

  /** The next chunk of the file. */
  push(chunk: Buffer): void {
    const b = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    for (const n of NEEDLE_BUFS) {
      for (let at = b.indexOf(n.buf); at >= 0; at = b.indexOf(n.buf, at + n.buf.length)) {
        const text = around(b, at, n.needle);
        const what = n.kind === 'dlopen' ? dlopenName(text, n.what) : n.what;
        const key = `${n.kind}\0${what}`;
        if (!this.found.has(key)) this.found.set(key, { kind: n.kind, what, evidence: { path: this.path, found: text } });
        if (this.found.size > 64) break;
      }
    }
    this.tail = Buffer.from(b.subarray(Math.max(0, b.length - OVERLAP)));
  }

  /** The hints seen, one per kind and name. */
  hints(): Hint[] {
    return [...this.found.values()];
  }
}

/** The soname a dlopen string names: `libssl.so.3` from `/usr/lib/libssl.so.3`, `libnss_files.so.2`. */
function dlopenName(text: string, fallback: string): string {
  const m = /lib[A-Za-z0-9_+-]*\.so(\.[0-9]+)*/.exec(text.slice(text.lastIndexOf('/') + 1));
  return m && m[0] !== 'libnss_.so' ? m[0] : fallback;
}

/**
 * Kinds whose absence the audit warns about. nsswitch.conf and locale data have working defaults
 * when absent (files then dns; the C locale), and a passwd entry has its own rule (DA019).
 */
export const AUDITED_KINDS: ReadonlySet<HintKind> = new Set(['dlopen', 'ca-bundle', 'tzdata', 'icu', 'java-cacerts']);

/**
 * The ICU hint of a .NET app: its `*.runtimeconfig.json` does not turn on invariant globalization,
 * so the runtime dlopen()s libicu at start and aborts without it.
 */
export function dotnetIcuHint(path: string, runtimeconfig: string): Hint | undefined {
  let json: unknown;
  try {
    json = JSON.parse(runtimeconfig);
  } catch {
    return undefined;
  }
  const opts = (json as { runtimeOptions?: { configProperties?: Record<string, unknown> } })?.runtimeOptions?.configProperties ?? {};
  const inv = opts['System.Globalization.Invariant'];
  if (inv === true || inv === 'true') return undefined;
  return { kind: 'icu', what: 'ICU (libicu, for .NET globalization)', evidence: { path, found: 'System.Globalization.Invariant is not set' } };
}

/** The hint of a JVM: it reads `lib/security/cacerts` under its home for every TLS connection. */
export function javaCacertsHint(libjvm: string): Hint {
  return { kind: 'java-cacerts', what: 'Java trust store (lib/security/cacerts)', evidence: { path: libjvm, found: 'libjvm.so' } };
}

/** Trust bundles where OpenSSL, Go, rustls-native-certs and others look, Debian's first. */
export const CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem', '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem'];
