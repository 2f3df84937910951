/**
 * The container engine (podman, else docker) as a CLI: detection, running commands with their
 * output, the hardening flags every distill run uses, and getting an image reference into the
 * engine's store. No socket API: podman needs no daemon, and docker's CLI is what users have.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openImage, parseRef, writeImage } from '../oci/reference.ts';
import { DistillError } from '../util/errors.ts';

export type Engine = 'podman' | 'docker';

/** Flags of a hardened run: read-only root, no capabilities, no privilege gain, a small /tmp. */
/**
 * Explicit ulimits are part of the hardening and also keep the run independent of the engine's
 * defaults: podman's default nofile (1048576) fails with EPERM wherever the caller's hard limit
 * is lower, and the container would not start at all.
 */
export const HARDENING_FLAGS: readonly string[] = [
  '--read-only',
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
  '--tmpfs',
  '/tmp:rw,noexec,nosuid,size=64m',
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'nproc=1024:1024',
];

/** Whether the engine can run containers: podman needs only its binary, docker also its daemon. */
export function engineAvailable(engine: Engine): boolean {
  const args = engine === 'docker' ? ['version', '--format', '{{.Server.Version}}'] : ['--version'];
  return spawnSync(engine, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** The engine to use: the one asked for (it must exist), else podman, else docker. */
export function detectEngine(prefer?: Engine): Engine {
  if (prefer) {
    if (!engineAvailable(prefer)) throw new DistillError(prefer, prefer === 'docker' ? 'docker is not installed or its daemon is not running' : 'podman is not installed or does not run', { code: 'E_ENGINE' });
    return prefer;
  }
  for (const e of ['podman', 'docker'] as const) if (engineAvailable(e)) return e;
  throw new DistillError('engine', 'neither podman nor docker is installed; verify and debug attach need one of them', { code: 'E_ENGINE' });
}

export interface EngineResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `engine args…` and collects its output; never throws for a non-zero exit. */
export function runEngine(engine: Engine, args: string[], opts: { timeoutMs?: number; stdio?: 'inherit' } = {}): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    if (opts.stdio === 'inherit') {
      const child = spawn(engine, args, { stdio: 'inherit' });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout: '', stderr: '' }));
      return;
    }
    const child = spawn(engine, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', (e) =>
      reject(
        (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? new DistillError(engine, `${engine} is not installed`, { code: 'E_ENGINE' })
          : new DistillError(engine, e.message, { code: 'E_TOOL_FAILED' }),
      ),
    );
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Last non-empty line of an engine's stderr, for one-line error messages. */
export function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop()?.replace(/^Error: /, '') ?? '';
}

/**
 * A name the engine can run for `ref`: engine-store names as they are, layouts and archives
 * pulled by podman itself, anything else exported through openImage and loaded. `imported` says
 * whether this call put the image into the engine's store (it was not there before), so the
 * caller can remove it again instead of leaving one more image behind on every run.
 */
export async function engineImage(engine: Engine, ref: string): Promise<{ name: string; imported: boolean }> {
  const r = parseRef(ref);
  if (r.transport === engine) return { name: r.name, imported: false };
  if (r.transport === 'registry') return { name: r.name, imported: false };
  const image = await openImage(ref);
  // The engine's image id is the config digest: whether it is already stored decides `imported`.
  const id = (await image.manifest()).config.digest.slice('sha256:'.length);
  const present = (await runEngine(engine, ['image', 'inspect', '--format', '{{.Id}}', id])).code === 0;
  // podman names a pulled layout or archive after its path (localhost/<path>:<tag>) and refuses a
  // path with upper case or spaces; those are loaded under a generated name below instead.
  const nameable = 'path' in r && /^[a-z0-9][a-z0-9._/-]*$/.test(resolve(r.path).replace(/^\/+/, ''));
  if (engine === 'podman' && nameable && (r.transport === 'oci' || r.transport === 'oci-archive' || r.transport === 'docker-archive')) {
    const p = await runEngine('podman', ['pull', '-q', ref]);
    if (p.code !== 0) throw new DistillError(ref, `podman pull failed: ${lastLine(p.stderr)}`, { code: 'E_TOOL_FAILED' });
    return { name: p.stdout.trim().split('\n').pop()!, imported: !present };
  }
  const name = `localhost/distill-run:${(await image.digest()).slice(7, 19)}`;
  await writeImage(image, `${engine}:${name}`);
  return { name, imported: !present };
}

/**
 * Removes an image `engineImage` imported. Never forced: if another run started a container
 * from the same image (reproducible builds share ids) or tagged it meanwhile, it stays.
 */
export async function releaseEngineImage(engine: Engine, img: { name: string; imported: boolean }): Promise<void> {
  if (img.imported) await runEngine(engine, ['rmi', img.name]);
}

/** State of a container as the engine reports it. */
export interface ContainerState {
  status: string;
  running: boolean;
  exitCode: number;
  pid: number;
}

/** Inspects a container's state; undefined when it no longer exists. */
export async function containerState(engine: Engine, name: string): Promise<ContainerState | undefined> {
  const r = await runEngine(engine, ['inspect', '--type', 'container', '--format', '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}', name]);
  if (r.code !== 0) return undefined;
  const [status, running, code, pid] = r.stdout.trim().split(/\s+/);
  return { status: status ?? 'unknown', running: running === 'true', exitCode: Number(code), pid: Number(pid) };
}

/**
 * The uid a host process runs as inside its user namespace, read from /proc on the host
 * (the image has no `ps` or shell to ask): effective uid mapped back through uid_map.
 */
export function processUid(pid: number): { uid: number; gid: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1]);
    const gid = Number(/^Gid:\s+\d+\s+(\d+)/m.exec(status)?.[1]);
    if (!Number.isFinite(uid) || !Number.isFinite(gid)) return undefined;
    const unmap = (file: string, host: number) => {
      for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
        const [inside, outside, count] = line.trim().split(/\s+/).map(Number) as [number, number, number];
        if (host >= outside && host < outside + count) return inside + (host - outside);
      }
      return host;
    };
    return { uid: unmap(`/proc/${pid}/uid_map`, uid), gid: unmap(`/proc/${pid}/gid_map`, gid) };
  } catch {
    return undefined;
  }
}
