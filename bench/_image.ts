/**
 * The big benchmark image: a Debian rootfs (mmdebstrap --variant=apt of this machine's apt suite,
 * with compilers, Python, Java and git added until it is over 500 MB uncompressed), gzipped into
 * one layer with distill's own image API and written both as an OCI layout and a docker-archive.
 * Built once and cached under test-output/bench/; `node --import tsx bench/_image.ts` builds it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { fileLayer } from '../src/oci/layer.ts';
import { appendLayers, emptyImage } from '../src/mutate/mutate.ts';
import { writeImage } from '../src/oci/reference.ts';
import { debianRootfsTar } from '../test/helpers/debian.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_DIR = join(ROOT, 'test-output', 'bench');

/** Packages added to the apt variant so the rootfs passes 500 MB (portable across suites). */
export const BIG_PACKAGES = ['build-essential', 'python3', 'python3-dev', 'git', 'default-jre-headless', 'perl', 'curl', 'vim'];

export interface BenchImage {
  /** `oci:DIR:TAG` reference. */
  oci: string;
  /** `docker-archive:FILE` reference. */
  dockerArchive: string;
  /** Path of the docker-archive tarball (what Trivy reads). */
  archiveFile: string;
  /** Gzip layer blobs, in order. */
  layerBlobs: string[];
  /** Uncompressed size of the rootfs in bytes. */
  rootfsBytes: number;
}

async function sha256File(f: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(f)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** Gzips with the system gzip when present (fast, streaming), else node's zlib. */
async function gzipFile(src: string, dst: string): Promise<void> {
  const tmp = `${dst}.tmp-${process.pid}`;
  try {
    execFileSync('sh', ['-c', 'command -v gzip'], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(tmp);
      const p = spawn('gzip', ['-c', '-6', src], { stdio: ['ignore', 'pipe', 'inherit'] });
      p.stdout.pipe(out);
      p.on('error', reject);
      out.on('finish', () => (p.exitCode === 0 || p.exitCode === null ? resolve() : reject(new Error(`gzip exited ${p.exitCode}`))));
    });
  } catch {
    await pipeline(createReadStream(src), createGzip(), createWriteStream(tmp));
  }
  renameSync(tmp, dst);
}

/** Builds (once) and returns the >= 500 MB benchmark image. */
export async function benchImage(): Promise<BenchImage> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const tar = debianRootfsTar(BIG_PACKAGES);
  const rootfsBytes = statSync(tar).size;
  if (rootfsBytes < 500 * 1024 * 1024) throw new Error(`bench rootfs is only ${(rootfsBytes / 2 ** 20).toFixed(0)} MiB; add packages to BIG_PACKAGES`);
  const gz = join(BENCH_DIR, 'big-layer.tar.gz');
  const ociDir = join(BENCH_DIR, 'big-oci');
  const archiveFile = join(BENCH_DIR, 'big.docker.tar');
  if (!existsSync(gz)) await gzipFile(tar, gz);
  if (!existsSync(ociDir) || !existsSync(archiveFile)) {
    const [digest, diffId] = await Promise.all([sha256File(gz), sha256File(tar)]);
    const img = appendLayers(emptyImage(), {
      layer: fileLayer(gz, {
        digest: digest as `sha256:${string}`,
        diffId: diffId as `sha256:${string}`,
        size: statSync(gz).size,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      }),
    });
    rmSync(ociDir, { recursive: true, force: true });
    await writeImage(img, `oci:${ociDir}:big`);
    const tmpArchive = `${archiveFile}.tmp-${process.pid}`;
    await writeImage(img, `docker-archive:${tmpArchive}:distill-bench/big:latest`);
    renameSync(tmpArchive, archiveFile);
  }
  return { oci: `oci:${ociDir}:big`, dockerArchive: `docker-archive:${archiveFile}`, archiveFile, layerBlobs: [gz], rootfsBytes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const img = await benchImage();
  console.log(JSON.stringify(img, null, 2));
}
