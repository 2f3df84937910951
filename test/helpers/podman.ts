/**
 * Podman for e2e tests: a containers.conf of our own (runc, cgroupfs, ulimits) pointed at by
 * CONTAINERS_CONF, never the system's. Tests call `podman(...)` and get exit code and output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.ts';

const confDir = join(ROOT, 'test-output', 'podman');
export const CONTAINERS_CONF = join(confDir, 'containers.conf');

/** Writes our containers.conf once and returns the environment podman/skopeo should run with. */
export function podmanEnv(): NodeJS.ProcessEnv {
  mkdirSync(confDir, { recursive: true });
  writeFileSync(
    CONTAINERS_CONF,
    [
      '[containers]',
      'default_ulimits = ["nofile=1024:1024","nproc=1024:1024"]',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      '',
    ].join('\n'),
  );
  return { ...process.env, CONTAINERS_CONF };
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export interface ProcResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program (podman, skopeo, umoci, …) with our podman environment. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: podmanEnv(), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export const podman = (args: string[], opts?: { input?: string; timeoutMs?: number }) => run('podman', args, opts);
