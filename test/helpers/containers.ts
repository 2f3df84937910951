/**
 * Running app images the way the e2e tests hold them to: read-only root filesystem, uid 65532, all
 * capabilities dropped, no new privileges, the app's port 8080 published on a free loopback port.
 */
import { freeLoopbackPort } from '../../src/util/net.ts';
import { podman } from './podman.ts';

/** Loads an OCI layout reference (`oci:DIR:TAG`) into podman and returns the image id. */
export async function pullLayout(ref: string): Promise<string> {
  const pulled = await podman(['pull', '-q', ref], { timeoutMs: 300_000 });
  if (pulled.code !== 0) throw new Error(`podman pull ${ref}: ${pulled.stderr}`);
  return pulled.stdout.trim().split('\n').pop()!;
}

/** Starts `image` detached and hardened; returns the container id and the loopback port of 8080. */
export async function runHardened(image: string): Promise<{ cid: string; port: number }> {
  const port = await freeLoopbackPort();
  const run = await podman(['run', '-d', '--read-only', '--user', '65532', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-p', `127.0.0.1:${port}:8080`, image]);
  if (run.code !== 0) throw new Error(`podman run ${image}: ${run.stderr}`);
  return { cid: run.stdout.trim(), port };
}
