/**
 * `podman:NAME` and `docker:NAME`: images in a local engine's store, reached through the engine
 * CLI's `save` and `load` (so no socket API and no daemon is needed for podman).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Image } from '../image.ts';
import { readDockerArchive, writeDockerArchive } from './archive.ts';
import { DistillError } from '../../util/errors.ts';

export type Engine = 'podman' | 'docker';

function runEngine(engine: Engine, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const child = spawn(engine, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', (e) =>
      reject(
        (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? new DistillError(what, `${engine} is not installed`, { code: 'E_ENGINE' })
          : new DistillError(what, e.message, { code: 'E_TOOL_FAILED' }),
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new DistillError(what, `${engine} ${args[0]} failed: ${stderr.trim().split('\n').pop() ?? ''}`, { code: 'E_TOOL_FAILED' })),
    );
  });
}

/** Exports `name` from the engine's store and opens it; the temp archive lives until exit. */
export async function readDaemon(engine: Engine, name: string): Promise<Image> {
  const what = `${engine}:${name}`;
  const dir = await mkdtemp(join(tmpdir(), 'distill-save-'));
  process.once('exit', () => void rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'image.tar');
  await runEngine(engine, ['save', ...(engine === 'podman' ? ['--format', 'docker-archive'] : []), '-o', file, name], what);
  return readDockerArchive(file);
}

/** Loads `image` into the engine's store as `name`. */
export async function writeDaemon(engine: Engine, image: Image, name: string): Promise<void> {
  const what = `${engine}:${name}`;
  const dir = await mkdtemp(join(tmpdir(), 'distill-load-'));
  try {
    const file = join(dir, 'image.tar');
    await writeDockerArchive(image, file, name);
    await runEngine(engine, ['load', '-i', file], what);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
