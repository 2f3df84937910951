/**
 * The "before" picture for `distill harden`: what `FROM node:22`, `python:3`, `golang:1`,
 * `eclipse-temurin:17` or `rust:1` gives a team today, assembled from Debian packages without a
 * daemon — Debian with a shell, apt and dpkg (a real /var/lib/dpkg/status), the usual
 * curl/git/compilers, the language toolchain (Node.js and npm under /usr/local as the node images
 * have them; Debian's python3 with pip, Go, OpenJDK 17 JDK, rustc and cargo), the app as its
 * single-stage Dockerfile leaves it (node_modules with dev dependencies; the Go binary, the jar
 * or cargo's target/ beside the sources, built here with the host's toolchain; Python packages
 * installed with pip from the user's index, as distill build installs them, into
 * /usr/local/lib/python3.X/dist-packages), the Dockerfile's CMD, and no USER.
 * Maintainer scripts do not run; the files they would create that matter (passwd, group, shadow,
 * the CA bundle) are written here, with the `node` user (1000) the official node images have.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { downloadDebs } from '../debian/download.ts';
import { loadArchive, type ArchiveOptions } from '../debian/packages.ts';
import { resolve as resolveDeps } from '../debian/resolver.ts';
import { statusStanza } from '../debian/status.ts';
import type { DebControl } from '../debian/deb.ts';
import type { Image } from '../oci/image.ts';
import { appendLayers, emptyImage, reproducibleTime, setConfig, setCreated } from '../mutate/mutate.ts';
import { LayerSink } from '../base/layer-sink.ts';
import { RootfsWriter } from '../base/build.ts';
import { caBundle } from '../base/files.ts';
import { fetchNode, resolveNode, resolveNpmPackage, tarballFiles } from '../base/node.ts';
import { DistillError } from '../util/errors.ts';
import { findMainClass } from '../assemble/java.ts';
import { installLog, runTool, type DepsOptions } from '../assemble/common.ts';
import { findRequirements, flavourPythonVersion, pipInstall } from '../assemble/pip.ts';
import { cargoFlags } from '../assemble/rust.ts';

/** Beyond Priority: required — what the official node images add (buildpack-deps, in short). */
export const FAT_PACKAGES = [
  'apt', 'bash', 'ca-certificates', 'curl', 'wget', 'gnupg', 'git', 'openssh-client', 'procps', 'netbase', 'tzdata',
  'gcc', 'g++', 'make', 'libc6-dev', 'python3', 'xz-utils', 'unzip', 'file', 'patch', 'less',
];

/** The runtimes harden builds a traditional image for, and what each adds to the Debian layer. */
export const TRADITIONAL_RUNTIMES = {
  node: { packages: [] as string[], like: 'FROM node:22' },
  python: { packages: ['python3', 'python3-pip', 'python3-venv', 'python-is-python3'], like: 'FROM python:3' },
  go: { packages: ['golang-go'], like: 'FROM golang:1' },
  java: { packages: ['openjdk-17-jdk-headless'], like: 'FROM eclipse-temurin:17' },
  rust: { packages: ['rustc', 'cargo'], like: 'FROM rust:1' },
} as const;
export type TraditionalRuntime = keyof typeof TRADITIONAL_RUNTIMES;

export interface TraditionalOptions {
  appDir: string;
  /** Default node. */
  runtime?: TraditionalRuntime;
  /** The Dockerfile's CMD (argv; shell form already wrapped in /bin/sh -c); default per runtime. */
  cmd?: string[];
  nodeMajor?: string;
  archive?: ArchiveOptions;
  progress?: boolean;
  onStep?: (msg: string) => void;
  /** Dependency installs as distill build runs them (index, offline); default: the user's tool configuration. */
  deps?: DepsOptions;
}

/** What the official images' Dockerfiles usually end with, when the app's own has no CMD. */
const DEFAULT_CMD: Record<TraditionalRuntime, string[]> = {
  node: ['/bin/sh', '-c', 'npm start'],
  python: ['/bin/sh', '-c', 'python app.py'],
  go: ['/app/server'],
  java: ['java', '-jar', '/app/app.jar'],
  rust: ['/app/server'],
};

/** Links update-alternatives would make in the JDK's postinst, which does not run here. */
const JDK = 'usr/lib/jvm/java-17-openjdk-amd64';
const JDK_TOOLS = ['java', 'javac', 'jar', 'jshell', 'keytool'];

function javaSources(dir: string): string[] {
  return walk(dir)
    .filter((r) => r.endsWith('.java'))
    .map((r) => join(dir, r));
}

function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    out.push(relative(base, p));
    if (st.isDirectory()) walk(p, base, out);
  }
  return out;
}

/** Builds the traditional image of a Node.js app. */
export function buildTraditionalNode(opts: TraditionalOptions): Promise<Image> {
  return buildTraditional({ ...opts, runtime: 'node' });
}

/** Builds the traditional image of a Node.js, Python, Go, Java or Rust app. */
export async function buildTraditional(opts: TraditionalOptions): Promise<Image> {
  const step = opts.onStep ?? (() => undefined);
  const runtime = opts.runtime ?? 'node';
  const rt = TRADITIONAL_RUNTIMES[runtime];
  if (runtime === 'node' && !existsSync(join(opts.appDir, 'package.json'))) throw new DistillError(opts.appDir, 'no package.json: the traditional image is built for Node.js apps');
  if (runtime === 'go' && !existsSync(join(opts.appDir, 'go.mod'))) throw new DistillError(opts.appDir, 'no go.mod: the traditional Go image builds the module in APPDIR');
  if (runtime === 'rust' && !existsSync(join(opts.appDir, 'Cargo.toml'))) throw new DistillError(opts.appDir, 'no Cargo.toml: the traditional Rust image builds the crate in APPDIR');
  if (runtime === 'java' && !existsSync(join(opts.appDir, 'src', 'main', 'java'))) {
    throw new DistillError(opts.appDir, 'harden pictures Java apps compiled with javac from src/main/java; for Maven or Gradle builds use distill build --artifact JAR and distill compare');
  }
  step(`resolving the Debian packages of a ${rt.like.replace('FROM ', '')}-like image`);
  const archive = await loadArchive({ ...(opts.archive ?? {}), onWarning: () => undefined });
  const required = archive.index.requiredPackages();
  const resolution = resolveDeps(archive.index, { packages: [...new Set([...required, ...FAT_PACKAGES, ...rt.packages])] });
  step(`downloading ${resolution.packages.length} Debian packages`);
  const debs = await downloadDebs(resolution.packages.map((p) => p.entry), { progress: opts.progress });
  const when = reproducibleTime();
  const work = mkdtempSync(join(tmpdir(), 'distill-fat-'));
  try {
    step('assembling the Debian layer');
    const sink = new LayerSink(work, when);
    const w = new RootfsWriter(sink, () => false);
    const records: DebControl[] = [];
    for (const d of [...debs].sort((a, b) => (a.ref.name < b.ref.name ? -1 : 1))) records.push(await w.addDeb(d.path, d.ref.name));
    const file = (name: string, content: string | Buffer, mode = 0o644) => {
      const b = Buffer.isBuffer(content) ? content : Buffer.from(content);
      return w.add({ name, type: 'file', mode, uid: 0, gid: 0, size: b.length }, b);
    };
    await w.add({ name: 'etc', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    const node = runtime === 'node';
    await file('etc/passwd', `root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nsys:x:3:3:sys:/dev:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n${node ? 'node:x:1000:1000::/home/node:/bin/bash\n' : ''}`);
    await file('etc/group', `root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nstaff:x:50:\nnogroup:x:65534:\n${node ? 'node:x:1000:\n' : ''}`);
    await file('etc/shadow', `root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\nsys:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n${node ? 'node:!:19000:0:99999:7:::\n' : ''}`, 0o640);
    if (w.certs.size) {
      await w.add({ name: 'etc/ssl', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      await w.add({ name: 'etc/ssl/certs', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      await file('etc/ssl/certs/ca-certificates.crt', caBundle(w.certs));
    }
    await w.add({ name: 'tmp', type: 'directory', mode: 0o1777, uid: 0, gid: 0 });
    await w.add({ name: 'var/lib/dpkg', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    await file('var/lib/dpkg/status', records.map((r) => statusStanza(r)).join('\n'));
    if (runtime === 'java') {
      for (const t of JDK_TOOLS) await w.add({ name: `usr/bin/${t}`, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: `/${JDK}/bin/${t}` });
    }
    const debianLayer = await sink.finish();

    const created = when.toISOString();
    const layers: Array<{ layer: Awaited<ReturnType<LayerSink['finish']>>; history: { created_by: string; created: string } }> = [
      { layer: debianLayer, history: { created_by: `debian bookworm: ${resolution.packages.length} packages (apt, bash, curl, git, gcc, ${runtime === 'node' ? 'python3' : rt.packages[0]}, …)`, created } },
    ];
    const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', PORT: '8080' };
    const app = join(work, 'app');
    cpSync(opts.appDir, app, { recursive: true, filter: (src) => !/\/(node_modules|\.git)(\/|$)/.test(src) });
    let appStep: string;
    if (runtime === 'node') {
      step('adding Node.js and npm under /usr/local');
      const nodeRt = await resolveNode(opts.nodeMajor ?? '22');
      const npmRt = await resolveNpmPackage('npm', '10');
      const nodeTar = await fetchNode(nodeRt);
      const npmTar = await fetchNode(npmRt);
      const rsink = new LayerSink(work, when);
      const rw = new RootfsWriter(rsink, () => false);
      for (const d of ['usr', 'usr/local', 'usr/local/bin', 'usr/local/lib', 'usr/local/lib/node_modules', 'usr/local/lib/node_modules/npm']) {
        await rw.add({ name: d, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      }
      for await (const f of tarballFiles(nodeTar.path, (n) => (/^(bin|include|share|lib)(\/|$)/.test(n) ? `usr/local/${n}` : undefined))) {
        await rw.add({ name: f.path, type: f.type, mode: f.mode, uid: 0, gid: 0, size: f.size, linkname: f.linkname }, f.type === 'file' ? f.body : undefined);
      }
      for await (const f of tarballFiles(npmTar.path, (n) => (n ? `usr/local/lib/node_modules/npm/${n}` : undefined))) {
        await rw.add({ name: f.path, type: f.type, mode: f.mode, uid: 0, gid: 0, size: f.size, linkname: f.linkname }, f.type === 'file' ? f.body : undefined);
      }
      await rw.add({ name: 'usr/local/bin/npm', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '../lib/node_modules/npm/bin/npm-cli.js' });
      await rw.add({ name: 'usr/local/bin/npx', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '../lib/node_modules/npm/bin/npx-cli.js' });
      layers.push({ layer: await rsink.finish(), history: { created_by: `node ${nodeRt.version} and npm ${npmRt.version} under /usr/local`, created } });
      env.NODE_VERSION = nodeRt.version;

      step('installing the app with npm install (dev dependencies included, as the Dockerfile does)');
      if (existsSync(join(app, 'package-lock.json')) || JSON.stringify(JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).dependencies ?? {}) !== '{}') {
        execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, stdio: ['ignore', 'ignore', 'pipe'] });
      }
      appStep = 'COPY . /app + RUN npm install';
    } else if (runtime === 'go') {
      // The single-stage Dockerfile's `RUN go build -o /app/server .`: the binary sits beside the
      // sources and the toolchain. Built here with the host's Go, as distill build does.
      step('building the Go binary into /app/server (as RUN go build does)');
      await runTool('go', ['build', '-trimpath', '-o', join(app, 'server'), '.'], { cwd: app, what: opts.appDir, env: { CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: process.env.GOFLAGS ?? '' } });
      env.GOPATH = '/go';
      appStep = 'COPY . /app + RUN go build -o /app/server .';
    } else if (runtime === 'java') {
      // The Dockerfile's `RUN javac -d classes … && jar --create --file app.jar --main-class …`.
      step('compiling the app with javac into /app/app.jar (as the RUN step does)');
      const sources = javaSources(join(app, 'src', 'main', 'java'));
      const main = findMainClass(join(app, 'src', 'main', 'java'), sources);
      if (!main) throw new DistillError(opts.appDir, 'no class with public static void main(String[]) under src/main/java');
      await runTool('javac', ['-d', join(app, 'classes'), ...sources], { cwd: app, what: opts.appDir });
      await runTool('jar', ['--create', '--file', join(app, 'app.jar'), '--main-class', main, '-C', join(app, 'classes'), '.'], { cwd: app, what: opts.appDir });
      env.JAVA_HOME = `/${JDK}`;
      appStep = 'COPY . /app + RUN javac && jar --create --file app.jar';
    } else if (runtime === 'rust') {
      // `RUN cargo build --release` leaves target/ (dependencies, incremental state) in the image.
      step('building the crate with cargo build --release (as the RUN step does)');
      await runTool('cargo', ['build', '--release', ...cargoFlags(opts.appDir, opts.deps?.offline ?? false)], { cwd: app, what: opts.appDir, logFile: installLog('cargo'), env: { CARGO_TARGET_DIR: join(app, 'target') } });
      appStep = 'COPY . /app + RUN cargo build --release';
    } else {
      // `RUN pip install -r requirements.txt` into the image's Python, with the same install distill build runs.
      const reqs = findRequirements(opts.appDir, work);
      if (reqs) {
        const version = flavourPythonVersion();
        step(`installing ${reqs.names.length} requirement(s) with pip (as RUN pip install does)`);
        const target = join(work, 'pydeps');
        await pipInstall({ reqs, target, pythonVersion: version, arch: 'amd64', opts: opts.deps?.pip ?? {}, cwd: opts.appDir });
        const psink = new LayerSink(work, when);
        const site = `usr/local/lib/python${version}/dist-packages`;
        for (const d of ['usr', 'usr/local', 'usr/local/lib', `usr/local/lib/python${version}`, site]) await psink.add({ name: d, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
        for (const rel of walk(target)) {
          const abs = join(target, rel);
          const st = statSync(abs);
          if (st.isDirectory()) await psink.add({ name: `${site}/${rel}`, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
          else if (st.isFile()) await psink.add({ name: `${site}/${rel}`, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, uid: 0, gid: 0, size: st.size }, readFileSync(abs));
        }
        layers.push({ layer: await psink.finish(), history: { created_by: `RUN pip install -r ${reqs.source.split('/').pop()} (${reqs.names.length} requirement(s))`, created } });
      }
      appStep = 'COPY . /app';
    }
    const asink = new LayerSink(work, when);
    await asink.add({ name: 'app', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    for (const rel of walk(app)) {
      const abs = join(app, rel);
      const st = statSync(abs);
      if (st.isDirectory()) await asink.add({ name: `app/${rel}`, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      else if (st.isFile()) await asink.add({ name: `app/${rel}`, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, uid: 0, gid: 0, size: st.size }, readFileSync(abs));
    }
    layers.push({ layer: await asink.finish(), history: { created_by: appStep, created } });

    let img = appendLayers(emptyImage(), ...layers);
    img = setConfig(img, {
      env,
      workdir: '/app',
      cmd: opts.cmd ?? DEFAULT_CMD[runtime],
      exposedPorts: ['8080'],
    });
    return setCreated(img, when);
  } finally {
    process.once('exit', () => rmSync(work, { recursive: true, force: true }));
  }
}
