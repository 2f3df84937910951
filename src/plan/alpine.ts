/**
 * Alpine builders under a Debian (glibc) runtime. Binaries and native modules built on Alpine
 * link musl and do not load on a glibc distroless base, so such a builder is moved onto the
 * Debian variant of its image: the tag from a table of tags that exist (dfc's approach: a table,
 * never a made-up tag), each `apk add` rewritten as `apt-get install` through a table of package
 * names. When a tag or a package is not in the tables, or a RUN mixes apk with other work, or
 * uses busybox-only flags, nothing is swapped and the caller warns or refuses.
 */
import { runCommands, stageChain } from '../dockerfile/parse.ts';
import type { Instruction, Stage } from '../dockerfile/model.ts';
import { splitImage } from '../oci/docker-ref.ts';
import type { Analysis, Plan } from './types.ts';

/** apk package -> Debian package ('' when Debian needs nothing for it). */
export const APK_TO_DEBIAN: Record<string, string> = {
  'build-base': 'build-essential', gcc: 'gcc', 'g++': 'g++', make: 'make', cmake: 'cmake', ninja: 'ninja-build', 'musl-dev': 'libc6-dev', 'libc-dev': 'libc6-dev',
  'linux-headers': 'linux-libc-dev', git: 'git', 'ca-certificates': 'ca-certificates', tzdata: 'tzdata', curl: 'curl', wget: 'wget', bash: 'bash',
  openssl: 'openssl', 'openssl-dev': 'libssl-dev', 'libffi-dev': 'libffi-dev', 'postgresql-dev': 'libpq-dev', 'libpq-dev': 'libpq-dev', 'postgresql-libs': 'libpq5', libpq: 'libpq5',
  'jpeg-dev': 'libjpeg-dev', 'libjpeg-turbo-dev': 'libjpeg-dev', 'zlib-dev': 'zlib1g-dev', 'libxml2-dev': 'libxml2-dev', 'libxslt-dev': 'libxslt1-dev',
  python3: 'python3', 'python3-dev': 'python3-dev', 'py3-pip': 'python3-pip', pkgconf: 'pkg-config', pkgconfig: 'pkg-config', 'vips-dev': 'libvips-dev', vips: 'libvips42',
  'sqlite-dev': 'libsqlite3-dev', 'sqlite-libs': 'libsqlite3-0', 'libstdc++': 'libstdc++6', libgcc: 'libgcc-s1', 'mariadb-dev': 'libmariadb-dev', 'mariadb-connector-c-dev': 'libmariadb-dev',
  'libc6-compat': '', gcompat: '', autoconf: 'autoconf', automake: 'automake', libtool: 'libtool', file: 'file', 'protobuf-dev': 'libprotobuf-dev', protobuf: 'protobuf-compiler',
  upx: 'upx-ucl', 'openssh-client': 'openssh-client', 'rust': 'rustc', cargo: 'cargo', 'libsodium-dev': 'libsodium-dev', 'yaml-dev': 'libyaml-dev', 'geos-dev': 'libgeos-dev',
};

/**
 * Debian tags that exist for the official images' Alpine tags: image name -> (version from the
 * Alpine tag -> the Debian tag). Bookworm (Debian 12, glibc 2.36) for the versions that shipped
 * on it; its binaries also run on the Debian 13 distroless bases (glibc is backward compatible).
 */
const DEBIAN_TAGS: { image: RegExp; version: RegExp; tag: (v: string) => string | null }[] = [
  // Node 18 to 24 have -bookworm-slim; 14 and 16 never shipped on bookworm.
  { image: /^(docker\.io\/)?(library\/)?node$/, version: /^(\d+(?:\.\d+){0,2})-alpine/, tag: (v) => (Number(v.split('.')[0]) >= 18 ? `${v}-bookworm-slim` : Number(v.split('.')[0]) === 16 ? `${v}-bullseye-slim` : null) },
  // Python 3.8 to 3.13 have -slim-bookworm.
  { image: /^(docker\.io\/)?(library\/)?python$/, version: /^(3\.\d+(?:\.\d+)?)-alpine/, tag: (v) => (Number(v.split('.')[1]) >= 8 ? `${v}-slim-bookworm` : null) },
  // Go 1.20 and later have -bookworm.
  { image: /^(docker\.io\/)?(library\/)?golang$/, version: /^(1\.\d+(?:\.\d+)?)-alpine/, tag: (v) => (Number(v.split('.')[1]) >= 20 ? `${v}-bookworm` : null) },
  // Rust 1.70 and later have -bookworm.
  { image: /^(docker\.io\/)?(library\/)?rust$/, version: /^(1\.\d+(?:\.\d+)?)-alpine/, tag: (v) => (Number(v.split('.')[1]) >= 70 ? `${v}-bookworm` : null) },
  // The .NET 6 to 9 SDKs have -bookworm-slim.
  { image: /^mcr\.microsoft\.com\/dotnet\/sdk$/, version: /^([6-9]\.0(?:\.\d+)?)-alpine/, tag: (v) => `${v}-bookworm-slim` },
  // Plain Alpine becomes Debian 12 slim.
  { image: /^(docker\.io\/)?(library\/)?alpine$/, version: /^(3\.\d+|latest|\d+)/, tag: () => '12-slim' },
];

/** The Debian image for an Alpine one, from the table, or null when none is known to exist. */
export function debianVariant(ref: string): string | null {
  const { name, tag } = splitImage(ref);
  if (ref.includes('$') || ref.includes('@')) return null;
  for (const row of DEBIAN_TAGS) {
    if (!row.image.test(name)) continue;
    const m = row.version.exec(tag ?? 'latest');
    const t = m ? row.tag(m[1]!) : null;
    if (!t) return null;
    return /alpine$/.test(name) ? `debian:${t}` : `${name}:${t}`;
  }
  return null;
}

/** Commands a Debian image runs the same way as Alpine's (no apk, no busybox-only flags). */
function portable(argv: string[]): boolean {
  const a0 = argv[0] ?? '';
  if (a0 === 'apk') return false;
  if (a0 === 'adduser' || a0 === 'addgroup') return argv.slice(1).every((w) => !w.startsWith('-') || w.startsWith('--'));
  return true;
}

/** A RUN made only of apk commands, rewritten for apt; null when it mixes in other work or names an unmapped package. */
function aptRun(instr: Instruction): { text: string; unmapped: string[] } | null {
  const cmds = runCommands(instr);
  if (!cmds.length || !cmds.every((c) => c.argv[0] === 'apk' || (c.argv[0] === 'rm' && c.argv.some((x) => x.startsWith('/var/cache/apk'))))) return null;
  const pkgs: string[] = [];
  const unmapped: string[] = [];
  for (const c of cmds) {
    if (c.argv[0] !== 'apk') continue;
    const sub = c.argv.slice(1).find((x) => !x.startsWith('-'));
    if (sub === 'update' || sub === 'upgrade' || sub === 'cache') continue;
    if (sub !== 'add') return null;
    const words = c.argv.slice(c.argv.indexOf('add') + 1);
    for (let k = 0; k < words.length; k++) {
      const w = words[k]!;
      if (w === '--virtual' || w === '-t' || w === '--repository' || w === '-X') {
        k++;
        continue;
      }
      if (w.startsWith('-')) continue;
      const name = w.replace(/[=<>~].*$/, '');
      const deb = APK_TO_DEBIAN[name];
      if (deb === undefined) unmapped.push(name);
      else if (deb && !pkgs.includes(deb)) pkgs.push(deb);
    }
  }
  if (unmapped.length) return { text: '', unmapped };
  const text = pkgs.length
    ? `RUN apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')} && rm -rf /var/lib/apt/lists/*`
    : `# distill: removed \`${instr.args.replace(/\s+/g, ' ')}\`: Debian needs none of these packages`;
  return { text, unmapped };
}

/**
 * Moves the Alpine image at the root of `stage`'s FROM chain (and every stage built on it) to
 * Debian: FROM from the tag table, apk RUNs through the package table. Returns null when done,
 * else why it could not be (for the caller's warning or refusal).
 */
export function alpineToDebian(a: Analysis, stage: Stage, plan: Plan, why: string): string | null {
  const root = stageChain(stage)[0]!;
  if (plan.imageSwaps.some((s) => s.instr === root.from)) return null;
  const to = debianVariant(root.baseImage);
  if (!to || root.image.includes('$')) return `no Debian tag of ${root.baseImage} is known to exist`;
  const family = a.file.stages.filter((s) => stageChain(s)[0] === root);
  const edits: Plan['edits'] = [];
  const changes: Plan['changes'] = [];
  for (const st of family) {
    for (const i of st.instructions) {
      if (i.keyword !== 'RUN') continue;
      const cmds = runCommands(i);
      if (cmds.every((c) => portable(c.argv))) continue;
      const apt = aptRun(i);
      if (!apt) return `line ${i.line} mixes apk or busybox-only commands with other work`;
      if (apt.unmapped.length) return `line ${i.line} installs ${apt.unmapped.join(', ')}, which distill has no Debian name for`;
      edits.push({ kind: 'replace', instr: i, text: apt.text });
      changes.push({ line: i.line, kind: 'builder-packages', reason: `apk packages mapped to their Debian names for the Debian builder` });
    }
  }
  plan.edits.push(...edits);
  plan.changes.push(...changes);
  plan.imageSwaps.push({ instr: root.from, image: to });
  plan.changes.push({ line: root.from.line, kind: 'builder-base', reason: `${root.image} -> ${to}: ${why}; the distroless base is Debian (glibc), so the build runs on Debian` });
  return null;
}
