/**
 * `distill copy SRC DST`: copy an image between any two references (registry, oci:, oci-archive:,
 * docker-archive:, podman:, docker:), like `skopeo copy` / `crane copy`. Also holds the options
 * and output shared with `distill pull` and `distill push`.
 */
import type { Command } from 'commander';
import { copyImage, type CopyResult } from '../../oci/transports/registry-copy.ts';
import type { RegistryOptions } from '../../oci/transports/registry.ts';
import { DistillError, escapeControl } from '../../util/errors.ts';
import { humanBytes, isTTY, printJson, type CommonOptions } from '../output.ts';

export interface TransferOptions extends CommonOptions {
  platform?: string;
  insecure?: boolean;
  chunkThreshold?: string;
  chunkSize?: string;
  retries?: string;
  minRate?: string;
  rateWindow?: string;
  deadline?: string;
}

/** A positive number of seconds from `flag`, in milliseconds. */
function seconds(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n > 0)) throw new DistillError(flag, `not a number of seconds: ${JSON.stringify(v)}`, { code: 'E_USAGE' });
  return n * 1000;
}

/** Parses `123`, `64K`, `16M`, `1G` (binary units) into bytes. */
export function parseBytes(s: string, flag: string): number {
  const m = /^(\d+)([kmg]i?b?)?$/i.exec(s.trim());
  if (!m) throw new DistillError(flag, `not a size: "${s}" (use e.g. 1048576, 512K, 16M, 1G)`, { code: 'E_USAGE' });
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').charAt(0).toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * mult;
  if (n <= 0) throw new DistillError(flag, 'must be greater than 0', { code: 'E_USAGE' });
  return n;
}

/** Adds the flags every transfer command takes. */
export function transferOptions(cmd: Command): Command {
  return cmd
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image (default linux/amd64)')
    .option('--insecure', 'allow plain http to the registry (always allowed for loopback hosts)')
    .option('--chunk-threshold <size>', 'upload blobs larger than this in chunks (default 64M)')
    .option('--chunk-size <size>', 'size of one chunk of a chunked upload (default 16M)')
    .option('--retries <n>', 'attempts after the first on network errors, 429 and 5xx (default 5)')
    .option('--min-rate <size>', 'cut and resume a blob download slower than this per second over --rate-window (default 1K)')
    .option('--rate-window <seconds>', 'the window --min-rate is measured over (default 30)')
    .option('--deadline <seconds>', 'cut and resume a blob request that takes longer than this (default 3600)')
    .option('--json', 'print {"ref","digest","size"} as JSON on stdout')
    .option('-q, --quiet', 'print nothing on success');
}

/** Registry options from parsed flags, with a TTY progress line on stderr unless quiet. */
export function registryOptions(opts: TransferOptions): { ro: RegistryOptions; done: () => void } {
  const ro: RegistryOptions = { platform: opts.platform, insecure: opts.insecure };
  if (opts.chunkThreshold) ro.chunkThreshold = parseBytes(opts.chunkThreshold, '--chunk-threshold');
  if (opts.chunkSize) ro.chunkSize = parseBytes(opts.chunkSize, '--chunk-size');
  if (opts.retries !== undefined) {
    if (!/^\d+$/.test(opts.retries)) throw new DistillError('--retries', `not a number: "${opts.retries}"`, { code: 'E_USAGE' });
    ro.retries = Number(opts.retries);
  }
  if (opts.minRate !== undefined) ro.minRate = parseBytes(opts.minRate, '--min-rate');
  if (opts.rateWindow !== undefined) ro.rateWindowMs = seconds(opts.rateWindow, '--rate-window');
  if (opts.deadline !== undefined) ro.deadlineMs = seconds(opts.deadline, '--deadline');
  let done = () => {};
  if (!opts.quiet && !opts.json && isTTY(process.stderr)) {
    let bytes = 0;
    let last = 0;
    ro.onBytes = (n) => {
      bytes += n;
      const now = Date.now();
      if (now - last > 200) {
        last = now;
        process.stderr.write(`\r  ${humanBytes(bytes)} transferred  `);
      }
    };
    done = () => {
      if (last) process.stderr.write('\r\x1b[K');
    };
  }
  return { ro, done };
}

/** Runs one copy and prints its result the way all three commands do. */
export async function runTransfer(src: string, dst: string, opts: TransferOptions, verb: string): Promise<CopyResult> {
  const { ro, done } = registryOptions(opts);
  let res: CopyResult;
  try {
    res = await copyImage(src, dst, ro);
  } finally {
    done();
  }
  if (opts.json) printJson({ ref: res.ref, digest: res.digest, size: res.size });
  else if (!opts.quiet) process.stdout.write(`${verb} ${escapeControl(res.ref)} ${res.digest} (${humanBytes(res.size)})\n`);
  return res;
}

export const REFS_HELP = `
References: docker://HOST[:PORT]/REPO[:TAG][@DIGEST] or a bare HOST/REPO:TAG (a name without a
host means Docker Hub), oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG],
podman:NAME, docker:NAME. Credentials come from $REGISTRY_AUTH_FILE,
$XDG_RUNTIME_DIR/containers/auth.json or ~/.docker/config.json (auths, credHelpers, credsStore);
they are never printed. Plain http only with --insecure or for loopback registries.
JSON output: {"ref": string, "digest": "sha256:…", "size": bytes of manifest + config + layers}.`;

/** Registers `distill copy`. */
export function register(program: Command): void {
  transferOptions(
    program
      .command('copy')
      .description('copy an image between any two references (registry, OCI layout, archives, podman)')
      .argument('<src>', 'image to read')
      .argument('<dst>', 'where to write it'),
  )
    .addHelpText(
      'after',
      `${REFS_HELP}

Examples:
  distill copy oci:./out:app 127.0.0.1:5000/team/app:1
  distill copy docker://registry.example/team/app:1 docker://registry.example/prod/app:1
  distill copy registry.example/app:1 oci-archive:app.tar --platform linux/arm64`,
    )
    .action(async (src: string, dst: string, opts: TransferOptions) => {
      await runTransfer(src, dst, opts, 'copied');
    });
}
