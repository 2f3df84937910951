/**
 * `distill needs` on a fat image: the closure of every ELF file in a >= 1 GB single-layer image
 * (the host's /usr/lib/<triplet>, /usr/bin and /usr/lib/gcc with the /lib and /lib64 links, tarred once into
 * test-output/bench/needs-fat/ and gzipped), timed against `gzip -dc | tar -t` of the same layer
 * (the floor any one-pass reader pays). Targets: under 5 s, peak RSS under 300 MB.
 * Runnable alone: `node --import tsx bench/needs.ts`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileLayer } from '../src/oci/layer.ts';
import { appendLayers, emptyImage } from '../src/mutate/mutate.ts';
import { writeImage } from '../src/oci/reference.ts';
import { ensureBuilt } from './inspect.ts';
import { ratio, timeCommand } from './_util.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'distill.js');
const DIR = join(ROOT, 'test-output', 'bench', 'needs-fat');
const TREES = ['lib', 'lib64', 'usr/lib64', 'usr/lib/x86_64-linux-gnu', 'usr/lib/aarch64-linux-gnu', 'usr/bin', 'usr/lib/gcc'];
const MIN_BYTES = 1e9;
const SECONDS_TARGET = 5;
const RSS_TARGET_MB = 300;
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function sha256File(f: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(f)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** Builds (once) the fat image from host trees; returns its reference, layer blob and tar size. */
async function fatImage(): Promise<{ ref: string; blob: string; tarBytes: number }> {
  mkdirSync(DIR, { recursive: true });
  const tar = join(DIR, 'layer.tar');
  const gz = join(DIR, 'layer.tar.gz');
  const oci = join(DIR, 'oci');
  if (!existsSync(gz) || !existsSync(oci)) {
    const trees = TREES.filter((t) => existsSync(`/${t}`));
    execFileSync('tar', ['-cf', `${tar}.tmp`, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--ignore-failed-read', '-C', '/', ...trees], { stdio: ['ignore', 'ignore', 'ignore'] });
    renameSync(`${tar}.tmp`, tar);
    execFileSync('sh', ['-c', `gzip -c -1 ${sh(tar)} > ${sh(gz)}.tmp && mv ${sh(gz)}.tmp ${sh(gz)}`]);
    const img = appendLayers(emptyImage(), { layer: fileLayer(gz, { digest: (await sha256File(gz)) as `sha256:${string}`, diffId: (await sha256File(tar)) as `sha256:${string}`, size: statSync(gz).size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }) });
    rmSync(oci, { recursive: true, force: true });
    await writeImage(img, `oci:${oci}:fat`);
  }
  const tarBytes = existsSync(tar) ? statSync(tar).size : Number(execFileSync('sh', ['-c', `gzip -dc ${sh(gz)} | wc -c`], { encoding: 'utf8' }).trim());
  if (tarBytes < MIN_BYTES) throw new Error(`fat image is only ${(tarBytes / 1e6).toFixed(0)} MB; this host lacks the trees in ${TREES.join(', ')}`);
  return { ref: `oci:${oci}:fat`, blob: gz, tarBytes };
}

/** Times the closure of the fat image and prints it against the one-pass floor. */
export async function runNeedsBench(): Promise<void> {
  const img = await fatImage();
  ensureBuilt();
  console.log(`image: ${img.ref} — ${(img.tarBytes / 1e6).toFixed(0)} MB uncompressed, ${(statSync(img.blob).size / 1e6).toFixed(0)} MB gzip`);
  const floor = await timeCommand(`gzip -dc ${sh(img.blob)} | tar -t > /dev/null`, [], { shell: true });
  const needs = await timeCommand(`${sh(process.execPath)} ${sh(BIN)} needs ${sh(img.ref)} --json > ${sh(join(DIR, 'needs.json'))}`, [], { shell: true });
  const { summary } = JSON.parse(execFileSync('cat', [join(DIR, 'needs.json')], { encoding: 'utf8', maxBuffer: 1 << 30 })) as { summary: Record<string, number> };
  const rssMB = needs.peakRssMiB !== undefined ? (needs.peakRssMiB * 1024 * 1024) / 1e6 : undefined;
  console.log(`gzip -dc | tar -t     ${floor.seconds.toFixed(2)} s`);
  console.log(`distill needs --json  ${needs.seconds.toFixed(2)} s (${ratio(needs.seconds, floor.seconds)} the floor), peak RSS ${rssMB?.toFixed(0) ?? '?'} MB`);
  console.log(`closure: ${summary.files} ELF files, ${summary.ok} resolved, ${summary.missing} missing, ${summary.tooOld} too old, ${summary.unreadable} unreadable`);
  console.log(`targets: < ${SECONDS_TARGET} s ${needs.seconds < SECONDS_TARGET ? 'met' : 'MISSED'}, RSS < ${RSS_TARGET_MB} MB ${rssMB !== undefined && rssMB < RSS_TARGET_MB ? 'met' : 'MISSED'}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await runNeedsBench();
