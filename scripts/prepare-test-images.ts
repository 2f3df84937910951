/**
 * Setup, not test: everything the tests need from the network, fetched once here, since tests
 * talk to loopback only.
 *
 * 1. The local toolchain ("builder") images the e2e tests build with (test/helpers/builders.ts),
 *    from the Debian mirror in this machine's apt sources and npm's registry, into
 *    test-output/builders/ (layouts already there are kept).
 * 2. The fat Debian rootfs and docker-archive some e2e tests inspect (mmdebstrap, apt's own client).
 * 3. A recording of the Debian archive and npm registry files distill fetches in the tests
 *    (test/helpers/mirror.mjs, into test-output/mirror/): every distroless flavour, the Node.js
 *    runtime, harden's traditional images, busybox for debug, the Contents index, the packages
 *    the tests add to bases or unpack themselves. The network
 *    guard replays it on loopback during the tests. InRelease and Packages are fetched afresh on
 *    each run (they change); pool files are kept.
 *
 * Run by scripts/setup.sh --tests.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILDERS, prepareBuilderLayout, type BuilderKind } from '../test/helpers/builders.ts';
import { debianDockerArchive } from '../test/helpers/debian.ts';
import { ROOT } from '../test/helpers/cli.ts';
import { mirrorDir, startMirror, writeMirrorAptDir } from '../test/helpers/mirror.mjs';
import { fetchNode, npmRegistry, resolveNode, resolveNpmPackage } from '../src/base/node.ts';
import { loadArchive } from '../src/debian/packages.ts';
import { resolve as resolveDeps } from '../src/debian/resolver.ts';
import { downloadDebs } from '../src/debian/download.ts';
import { fetchContents } from '../src/debian/contents.ts';
import { FAT_PACKAGES, TRADITIONAL_RUNTIMES } from '../src/harden/traditional.ts';
import { FLAVOUR_NAMES } from '../src/base/flavours.ts';
import { NATIVE_ADDON_PACKAGE } from '../test/helpers/native-addon.ts';

const seconds = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

for (const kind of Object.keys(BUILDERS) as BuilderKind[]) {
  const t0 = Date.now();
  const layout = await prepareBuilderLayout(kind);
  console.log(`builder ${kind}: ${layout} (${seconds(t0)})`);
}

{
  const t0 = Date.now();
  const { archive } = debianDockerArchive();
  console.log(`fat Debian image: ${archive} (${seconds(t0)})`);
}

await recordMirror();

/**
 * npm projects the tests resolve and install from the registry (the replay): each is resolved
 * (`npm install --package-lock-only`, the packuments) and installed (`npm ci`, the tarballs)
 * through the recording mirror with an empty npm cache, as the test will.
 */
async function recordNpmProjects(work: string, env: NodeJS.ProcessEnv): Promise<void> {
  const npm = async (dir: string, args: string[]) => {
    await promisify(execFile)('npm', args, { cwd: dir, env: { ...env, npm_config_cache: join(dir, '.npm-cache') }, maxBuffer: 64 * 1024 * 1024 }).catch((e: Error & { stderr?: string }) => {
      throw new Error(`npm ${args.join(' ')}: ${e.stderr ?? e.message}`);
    });
  };
  const flags = ['--no-audit', '--no-fund'];
  // test/e2e/build-native-addon.test.ts: sharp with its prebuilt libvips (optional dependencies per platform).
  const thumbs = join(work, 'thumbs');
  mkdirSync(thumbs, { recursive: true });
  writeFileSync(join(thumbs, 'package.json'), JSON.stringify(NATIVE_ADDON_PACKAGE));
  await npm(thumbs, ['install', '--package-lock-only', ...flags]);
  await npm(thumbs, ['ci', '--omit=dev', ...flags]);
  // test/e2e/build-node-deps.test.ts: examples/node-express with express@4 added.
  const express = join(work, 'express');
  cpSync(join(ROOT, 'examples', 'node-express'), express, { recursive: true });
  await npm(express, ['install', '--save', '--package-lock-only', ...flags, 'express@4']);
  await npm(express, ['ci', '--omit=dev', ...flags]);
}

/** Runs what the tests fetch through the recording mirror, with an empty cache so nothing is skipped. */
async function recordMirror(): Promise<void> {
  const t0 = Date.now();
  const npmUpstream = await npmRegistry();
  const mirror = await startMirror({ dir: mirrorDir(ROOT), record: true, npmUpstream });
  const work = mkdtempSync(join(tmpdir(), 'distill-record-'));
  const env = {
    ...process.env,
    DISTILL_APT_DIR: writeMirrorAptDir(mirror.url, join(work, 'apt')),
    npm_config_registry: `${mirror.url}/npm/`,
    DISTILL_CACHE_DIR: join(work, 'cache'),
    NO_COLOR: '1',
  };
  try {
    // Asynchronously: the mirror answering these commands runs in this process.
    const distill = async (args: string[]) => {
      await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'distill.js'), ...args], { env, maxBuffer: 64 * 1024 * 1024 }).catch((e: Error & { stderr?: string }) => {
        throw new Error(`distill ${args.join(' ')}: ${e.stderr ?? e.message}`);
      });
    };
    for (const f of FLAVOUR_NAMES) await distill(['base', f, '-o', join(work, f), '--tags', 'nonroot', '-q']);
    await distill(['base', 'nodejs', '--node', '22', '-o', join(work, 'nodejs-22'), '--tags', 'nonroot', '-q']);
    await distill(['debug', 'image', `oci:${join(work, 'static')}:nonroot`, '-o', `oci:${join(work, 'debug')}:debug`, '-q']);
    // test/e2e/build-tailored.test.ts: python3 tailored with libpq5 for a vendored python3-psycopg2.
    await distill(['base', 'python3', '--add', 'libpq5', '-o', join(work, 'python3-libpq5'), '--tags', 'nonroot', '-q']);
    await recordNpmProjects(work, env);
    // In this process: the traditional images' packages and the Contents index, as harden and needs read them.
    Object.assign(process.env, { DISTILL_APT_DIR: env.DISTILL_APT_DIR, npm_config_registry: env.npm_config_registry, DISTILL_CACHE_DIR: env.DISTILL_CACHE_DIR });
    const archive = await loadArchive({ onWarning: () => undefined });
    const required = archive.index.requiredPackages();
    const runtimes = Object.values(TRADITIONAL_RUNTIMES).flatMap((r) => [...r.packages]);
    const resolution = resolveDeps(archive.index, { packages: [...new Set([...required, ...FAT_PACKAGES, ...runtimes])] });
    await downloadDebs(resolution.packages.map((p) => p.entry));
    // The traditional Node.js image adds Node.js and npm from the registry under /usr/local.
    for (const rt of [await resolveNode('22'), await resolveNpmPackage('npm', '10')]) await fetchNode(rt);
    // Packages tests unpack themselves (build-tailored vendors python3-psycopg2).
    await downloadDebs(['python3-psycopg2'].map((n) => archive.index.get(n)!));
    await fetchContents(archive.releases[0]!);
    // -updates and -security may list no Contents index of their own.
    for (const release of archive.releases.slice(1)) await fetchContents(release).catch(() => undefined);
    console.log(`mirror recorded for the tests: ${mirrorDir(ROOT)} (${seconds(t0)})`);
  } finally {
    await mirror.close();
    rmSync(work, { recursive: true, force: true });
  }
}
