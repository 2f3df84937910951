/**
 * `distill debug`: ways into a shell-less image. A debug variant (the image plus Debian's
 * busybox-static layer under /busybox, nothing rebuilt), a busybox sidecar that joins a running
 * container's pid and network namespaces (the target's filesystem is then /proc/1/root), and
 * the `kubectl debug` line that does the same for a pod.
 */
import { randomBytes } from 'node:crypto';
import type { ArchiveOptions } from '../debian/packages.ts';
import type { Image, Layer } from '../oci/image.ts';
import { appendLayers, emptyImage, setConfig } from '../mutate/mutate.ts';
import { busyboxLayer } from '../base/build.ts';
import { DistillError } from '../util/errors.ts';
import { containerState, detectEngine, lastLine, runEngine, type Engine } from './engine.ts';
import { writeImage } from '../oci/reference.ts';

export const DEBUG_LABEL = 'dev.distill.debug';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The local name the sidecar image is loaded under. */
export const BUSYBOX_IMAGE = 'localhost/distill-busybox:latest';

export interface DebugLayerOptions {
  archive?: ArchiveOptions;
  progress?: boolean;
  /** A busybox layer already built (tests, repeated calls). */
  layer?: Layer;
}

/** The image with busybox appended at /busybox and on PATH; entrypoint and cmd kept, labelled. */
export async function debugImage(image: Image, opts: DebugLayerOptions = {}): Promise<Image> {
  const layer = opts.layer ?? (await busyboxLayer({ archive: opts.archive, progress: opts.progress }));
  const config = await image.config();
  const env = config.config?.Env ?? [];
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  const created = config.created ?? new Date(0).toISOString();
  let out = appendLayers(image, { layer, history: { created, created_by: 'distill debug image: busybox at /busybox' } });
  out = setConfig(out, {
    env: { PATH: path.split(':').includes('/busybox') ? path : `${path}:/busybox` },
    labels: { [DEBUG_LABEL]: 'true', [`${DEBUG_LABEL}.shell`]: '/busybox/sh' },
  });
  return out;
}

/** A busybox-only image on scratch (for the sidecar): runs /busybox/sh as root. */
export async function busyboxImage(opts: DebugLayerOptions = {}): Promise<Image> {
  const layer = opts.layer ?? (await busyboxLayer({ archive: opts.archive, progress: opts.progress }));
  const img = appendLayers(emptyImage(), { layer, history: { created: new Date(0).toISOString(), created_by: 'distill debug: busybox sidecar' } });
  return setConfig(img, { env: { PATH: `/busybox:${DEFAULT_PATH}` }, entrypoint: null, cmd: ['/busybox/sh'], workdir: '/', labels: { [DEBUG_LABEL]: 'sidecar' } });
}

/** Makes sure the sidecar image is in the engine's store; builds and loads it when missing. */
export async function ensureBusyboxImage(engine: Engine, opts: DebugLayerOptions & { name?: string } = {}): Promise<string> {
  const name = opts.name ?? BUSYBOX_IMAGE;
  const r = await runEngine(engine, ['image', 'inspect', '--format', '{{.Id}}', name]);
  if (r.code === 0) return name;
  await writeImage(await busyboxImage(opts), `${engine}:${name}`);
  return name;
}

export interface AttachOptions extends DebugLayerOptions {
  engine?: Engine;
  /** Command to run in the sidecar instead of an interactive shell. */
  command?: string[];
  /** Allocate a terminal (default: when stdin is one and no command is given). */
  tty?: boolean;
  /** Sidecar image (default: the busybox image, built when missing). */
  image?: string;
}

/** The engine arguments of the sidecar run (exported for tests and `--dry-run`). */
export function attachArgs(container: string, image: string, opts: { command?: string[]; tty?: boolean; name?: string }): string[] {
  return [
    'run',
    '--rm',
    '-i',
    ...(opts.tty ? ['-t'] : []),
    ...(opts.name ? ['--name', opts.name] : []),
    '--pid',
    `container:${container}`,
    '--network',
    `container:${container}`,
    // Reading /proc/1/root of a process owned by another uid needs ptrace access.
    '--cap-add',
    'SYS_PTRACE',
    '--user',
    '0',
    '--entrypoint',
    opts.command?.length ? opts.command[0]! : '/busybox/sh',
    image,
    ...(opts.command?.slice(1) ?? []),
  ];
}

/** Runs a busybox sidecar in `container`'s pid and network namespaces, attached to this terminal; returns its exit code. */
export async function attach(container: string, opts: AttachOptions = {}): Promise<number> {
  const engine = detectEngine(opts.engine);
  const st = await containerState(engine, container);
  if (!st) throw new DistillError(container, `no such container in ${engine}`, { code: 'E_NOT_FOUND' });
  if (!st.running) throw new DistillError(container, `container is ${st.status}, not running; start it first (debug image makes a variant with a shell)`, { code: 'E_INPUT' });
  const image = opts.image ?? (await ensureBusyboxImage(engine, opts));
  const tty = opts.tty ?? (!opts.command?.length && Boolean(process.stdin.isTTY));
  const args = attachArgs(container, image, { command: opts.command, tty, name: `distill-debug-${randomBytes(4).toString('hex')}` });
  const r = await runEngine(engine, args, { stdio: 'inherit' });
  if (r.code === 125) throw new DistillError(container, `${engine} could not start the sidecar: ${lastLine(r.stderr) || 'see the message above'}`, { code: 'E_TOOL_FAILED' });
  return r.code;
}

export interface KubectlOptions {
  container?: string;
  namespace?: string;
  /** Debug image (default busybox). */
  image?: string;
  /** kubectl debug --profile (e.g. general, restricted). */
  profile?: string;
}

/** The `kubectl debug` line that attaches an ephemeral busybox container to a pod's container. */
export function kubectlDebugLine(pod: string, opts: KubectlOptions = {}): string {
  const parts = ['kubectl', 'debug', '-it', pod];
  if (opts.namespace) parts.push('-n', opts.namespace);
  parts.push(`--image=${opts.image ?? 'busybox'}`);
  if (opts.container) parts.push(`--target=${opts.container}`);
  if (opts.profile) parts.push(`--profile=${opts.profile}`);
  return parts.join(' ');
}
