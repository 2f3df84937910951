/**
 * Local toolchain ("builder") images for e2e builds on a machine that cannot pull `node:22`,
 * `python:3.13`, `golang:1.22`, `eclipse-temurin:17` or `rust:1.82`: Debian's required packages plus
 * the toolchain from Debian (Python 3.11 + pip, Go 1.19 + gcc, OpenJDK 17, Rust 1.63 + cargo), or
 * the real Node.js tarball and npm from the npm registry, assembled
 * with distill's own base machinery (RootfsWriter, LayerSink) and no daemon. Each is named for what
 * it is (`localhost/distill-builder/<tool>:<version it really holds>`), never as an official image;
 * converted Dockerfiles point at them with `distill convert --builder-image`. Layouts are cached under
 * test-output/builders/ so reruns only re-load them into podman. Maintainer scripts do not run; the
 * files a build needs from them (passwd, group, /bin/sh, the CA bundle, the update-alternatives
 * links a toolchain is called by) are written here.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadDebs } from '../../src/debian/download.ts';
import { loadArchive } from '../../src/debian/packages.ts';
import { resolve as resolveDeps } from '../../src/debian/resolver.ts';
import { appendLayers, emptyImage, reproducibleTime, setConfig, setCreated } from '../../src/mutate/mutate.ts';
import { LayerSink } from '../../src/base/layer-sink.ts';
import { RootfsWriter } from '../../src/base/build.ts';
import { caBundle } from '../../src/base/files.ts';
import { fetchNode, resolveNode, resolveNpmPackage, tarballFiles } from '../../src/base/node.ts';
import { writeLayout } from '../../src/oci/transports/layout.ts';
import { ROOT } from './cli.ts';
import { podman } from './podman.ts';

export type BuilderKind = 'node' | 'python' | 'go' | 'java' | 'rust';

interface BuilderSpec {
  /** Image name and tag: the tag is the toolchain version the image really holds. */
  ref: string;
  packages: string[];
  /** A Debian package whose version must start with this, so the tag stays true. */
  check?: [string, RegExp];
  node?: string;
  /** Symlinks (path -> target) that a package's postinst makes with update-alternatives. */
  alternatives?: Record<string, string>;
  env: Record<string, string>;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const JAVA_HOME = '/usr/lib/jvm/java-17-openjdk-amd64';

/** What each builder holds. */
export const BUILDERS: Record<BuilderKind, BuilderSpec> = {
  node: { ref: 'localhost/distill-builder/node:22', packages: ['ca-certificates'], node: '22', env: { PATH, HOME: '/root' } },
  python: {
    ref: 'localhost/distill-builder/python:3.11',
    // python3-venv and python-is-python3: `python -m venv` works as in the official images.
    packages: ['ca-certificates', 'python3', 'python3-pip', 'python3-venv', 'python-is-python3'],
    check: ['python3', /^3\.11\./],
    // Like the official python images, a builder installs into its own interpreter: Debian's PEP 668
    // marker would refuse the Dockerfile's plain `pip install -r requirements.txt` as root.
    env: { PATH, HOME: '/root', PIP_BREAK_SYSTEM_PACKAGES: '1' },
  },
  go: {
    ref: 'localhost/distill-builder/go:1.19',
    // gcc and libc6-dev as in golang:1.22, so cgo (the net package's resolver) works the same way.
    packages: ['ca-certificates', 'golang-go', 'gcc', 'libc6-dev'],
    check: ['golang-go', /^2:1\.19/],
    env: { PATH: `/go/bin:${PATH}`, HOME: '/root', GOPATH: '/go', GOPROXY: 'off', GOFLAGS: '-mod=mod' },
  },
  java: {
    // The java runtime base is Debian 12's OpenJDK 17 JRE, so the JDK is the same release.
    ref: 'localhost/distill-builder/openjdk:17',
    packages: ['ca-certificates', 'openjdk-17-jdk-headless'],
    check: ['openjdk-17-jdk-headless', /^17\./],
    // As eclipse-temurin does: JAVA_HOME set and its bin first on PATH (Debian reaches it only
    // through alternatives links its postinst would make).
    env: { PATH: `${JAVA_HOME}/bin:${PATH}`, HOME: '/root', JAVA_HOME },
  },
  rust: {
    // Debian 12's Rust is 1.63; the example is std-only edition 2021, which 1.63 builds.
    ref: 'localhost/distill-builder/rust:1.63',
    packages: ['ca-certificates', 'rustc', 'cargo'],
    check: ['rustc', /^1\.63\./],
    // rustc links through `cc`, which only gcc's postinst creates.
    alternatives: { 'usr/bin/cc': 'gcc' },
    env: { PATH, HOME: '/root' },
  },
};

async function buildBuilder(kind: BuilderKind, layout: string): Promise<void> {
  const spec = BUILDERS[kind];
  const archive = await loadArchive({ onWarning: () => undefined });
  const required = archive.index.requiredPackages();
  const resolution = resolveDeps(archive.index, { packages: [...new Set([...required, ...spec.packages])] });
  if (spec.check) {
    const p = resolution.packages.find((x) => x.entry.name === spec.check![0]);
    if (!p || !spec.check[1].test(p.entry.version)) throw new Error(`${spec.ref}: Debian has ${spec.check[0]} ${p?.entry.version ?? 'missing'}, not what the tag says`);
  }
  const debs = await downloadDebs(resolution.packages.map((p) => p.entry));
  const when = reproducibleTime();
  const work = mkdtempSync(join(tmpdir(), 'distill-builder-'));
  try {
    const sink = new LayerSink(work, when);
    const w = new RootfsWriter(sink);
    const seen = new Set<string>();
    for (const d of [...debs].sort((a, b) => (a.ref.name < b.ref.name ? -1 : 1))) {
      await w.addDeb(d.path, d.ref.name, (p) => (seen.add(p.replace(/^\.?\/+/, '')), p));
    }
    const file = (name: string, text: string | Buffer, mode = 0o644) => {
      const b = Buffer.isBuffer(text) ? text : Buffer.from(text);
      return w.add({ name, type: 'file', mode, uid: 0, gid: 0, size: b.length }, b);
    };
    await w.add({ name: 'etc', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    await file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    await file('etc/group', 'root:x:0:\nnogroup:x:65534:\n');
    // dash's postinst, not its data, makes /bin/sh in Debian 12; RUN needs it.
    if (!seen.has('bin/sh') && !seen.has('usr/bin/sh')) await w.add({ name: 'bin/sh', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'dash' });
    for (const [name, linkname] of Object.entries(spec.alternatives ?? {})) {
      if (!seen.has(name)) await w.add({ name, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname });
    }
    if (w.certs.size) {
      await w.add({ name: 'etc/ssl', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      await w.add({ name: 'etc/ssl/certs', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      await file('etc/ssl/certs/ca-certificates.crt', caBundle(w.certs));
    }
    for (const d of ['root', 'tmp']) await w.add({ name: d, type: 'directory', mode: d === 'tmp' ? 0o1777 : 0o700, uid: 0, gid: 0 });
    const layers = [{ layer: await sink.finish(), history: { created_by: `debian: ${resolution.packages.length} packages (required + ${spec.packages.join(', ')})`, created: when.toISOString() } }];
    let env = spec.env;
    if (spec.node) {
      const nodeRt = await resolveNode(spec.node);
      const npmRt = await resolveNpmPackage('npm', '10');
      const rsink = new LayerSink(work, when);
      const rw = new RootfsWriter(rsink, () => false);
      for (const d of ['usr', 'usr/local', 'usr/local/bin', 'usr/local/lib', 'usr/local/lib/node_modules', 'usr/local/lib/node_modules/npm']) await rw.add({ name: d, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      for await (const f of tarballFiles((await fetchNode(nodeRt)).path, (n) => (/^(bin|include|share|lib)(\/|$)/.test(n) ? `usr/local/${n}` : undefined))) {
        await rw.add({ name: f.path, type: f.type, mode: f.mode, uid: 0, gid: 0, size: f.size, linkname: f.linkname }, f.type === 'file' ? f.body : undefined);
      }
      for await (const f of tarballFiles((await fetchNode(npmRt)).path, (n) => (n ? `usr/local/lib/node_modules/npm/${n}` : undefined))) {
        await rw.add({ name: f.path, type: f.type, mode: f.mode, uid: 0, gid: 0, size: f.size, linkname: f.linkname }, f.type === 'file' ? f.body : undefined);
      }
      await rw.add({ name: 'usr/local/bin/npm', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '../lib/node_modules/npm/bin/npm-cli.js' });
      await rw.add({ name: 'usr/local/bin/npx', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '../lib/node_modules/npm/bin/npx-cli.js' });
      layers.push({ layer: await rsink.finish(), history: { created_by: `node ${nodeRt.version} and npm ${npmRt.version} under /usr/local`, created: when.toISOString() } });
      env = { ...env, NODE_VERSION: nodeRt.version };
    }
    let img = appendLayers(emptyImage(), ...layers);
    img = setConfig(img, { env, workdir: '/', cmd: ['/bin/sh'] });
    await writeLayout(setCreated(img, when), layout, 'latest');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds (or reuses the cached layout of) a builder image and loads it into podman; returns its name. */
/**
 * The builder's OCI layout under test-output/builders/, assembled if missing. This downloads from
 * the Debian mirror and the npm registry, so scripts/setup.sh runs it (through
 * scripts/prepare-test-images.ts) before the tests, which then only read the layouts: tests talk
 * to loopback only, and the network guard fails one that builds a layout itself.
 */
export async function prepareBuilderLayout(kind: BuilderKind): Promise<string> {
  const layout = join(ROOT, 'test-output', 'builders', kind);
  if (!existsSync(join(layout, 'index.json'))) {
    mkdirSync(join(ROOT, 'test-output', 'builders'), { recursive: true });
    rmSync(layout, { recursive: true, force: true });
    await buildBuilder(kind, layout);
  }
  return layout;
}

export async function ensureBuilder(kind: BuilderKind): Promise<string> {
  const ref = BUILDERS[kind].ref;
  const layout = await prepareBuilderLayout(kind);
  const pulled = await podman(['pull', '-q', `oci:${layout}:latest`], { timeoutMs: 300_000 });
  if (pulled.code !== 0) throw new Error(`podman pull ${layout}: ${pulled.stderr}`);
  const id = pulled.stdout.trim().split('\n').pop()!;
  const tagged = await podman(['tag', id, ref]);
  if (tagged.code !== 0) throw new Error(`podman tag ${ref}: ${tagged.stderr}`);
  // `podman pull oci:DIR` also names the image after DIR; keep only the builder's own name.
  const names = (await podman(['image', 'inspect', '--format', '{{join .RepoTags " "}}', id])).stdout.split(/\s+/);
  for (const n of names) if (n && n !== ref) await podman(['untag', id, n]);
  return ref;
}
