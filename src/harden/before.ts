/**
 * The "before" image of `distill harden`, real whenever it can be: the image the user gives
 * (`--before REF`), else the app's own Dockerfile built by the engine (`podman build`), else the
 * Debian-assembled simulation (traditional.ts) — and, for each, its provenance, so no claim in the
 * report is about a simulation without saying so.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { openImage } from '../oci/reference.ts';
import { lastLine, runEngine, type Engine } from '../runtime/engine.ts';
import { DistillError } from '../util/errors.ts';

/** Where an image in the comparison came from. */
export interface Provenance {
  /** given: the user's reference; built: by an engine from a Dockerfile; distill: distill build; simulated: assembled to look like the Dockerfile's result. */
  kind: 'given' | 'built' | 'distill' | 'simulated';
  /** The engine that built it (kind built). */
  engine?: Engine;
  /** Why it is not the real image (kind simulated). */
  reason?: string;
  /** sha256 of the Dockerfile it was built from (kind built). */
  dockerfileDigest?: string;
  /** The engine's image id (config digest) of what it built (kind built). */
  imageId?: string;
  /** The reference read (kind given and built). */
  reference?: string;
  /** The engine's build log (kind built, or simulated after a failed build). */
  log?: string;
}

/** sha256:… of a file's bytes. */
export function fileDigest(file: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

/** Opens `ref` (given by `flag`) to be sure it exists; a missing or unreadable image is a one-line input error. */
export async function givenBefore(ref: string, flag = '--before'): Promise<Provenance> {
  try {
    await openImage(ref);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw new DistillError(`${flag} ${ref}`, `cannot read the image: ${msg}`, { code: e instanceof DistillError ? e.code : 'E_NOT_FOUND', exitCode: 2 });
  }
  return { kind: 'given', reference: ref };
}

/**
 * The first line of a failed build's log that says what went wrong (an `Error:` line, else the
 * last non-empty one), so the reason fits on one line.
 */
export function buildErrorLine(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /^(Error|error)[: ]/.test(l));
  return (err ?? lines[lines.length - 1] ?? 'no output').replace(/^Error: /, '');
}

export interface EngineBuildOptions {
  engine: Engine;
  appDir: string;
  dockerfile: string;
  /** The Dockerfile stage to build (`--target`). */
  target?: string;
  /** The name the built image gets in the engine's store. */
  tag: string;
  /** Where the build output goes. */
  log: string;
  /** Called with each line of build output that starts a step (`STEP 2/5: RUN npm ci`). */
  onStep?: (line: string) => void;
}

/**
 * `podman build -f Dockerfile [--target T] -t TAG APPDIR` with its output streamed to a log file.
 * Resolves to the provenance: built, with the image id, or simulated with the first error line
 * and the log's path (the caller then pictures the image instead).
 */
export async function engineBuild(opts: EngineBuildOptions): Promise<Provenance> {
  const args = ['build', '-f', opts.dockerfile, ...(opts.target ? ['--target', opts.target] : []), '-t', opts.tag, opts.appDir];
  const out = createWriteStream(opts.log);
  let text = '';
  let partial = '';
  const code = await new Promise<number>((resolve) => {
    const child = spawn(opts.engine, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (d: string) => {
      out.write(d);
      // Keep what the error line is taken from bounded: the start and the last 64 KiB.
      text = text.length > 1 << 16 ? text.slice(-(1 << 15)) + d : text + d;
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (/^(STEP|Step) \d+\/\d+/.test(l)) opts.onStep?.(l.trim());
    };
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    child.on('error', (e) => (take(`Error: ${e.message}\n`), resolve(-1)));
    child.on('close', (c) => resolve(c ?? -1));
  });
  await new Promise((r) => out.end(r));
  const dockerfileDigest = fileDigest(opts.dockerfile);
  if (code !== 0) {
    return { kind: 'simulated', reason: `${opts.engine} build failed: ${buildErrorLine(text)} (log: ${opts.log})`, log: opts.log, dockerfileDigest };
  }
  const id = await runEngine(opts.engine, ['image', 'inspect', '--format', '{{.Id}}', opts.tag]);
  if (id.code !== 0) return { kind: 'simulated', reason: `${opts.engine} built ${opts.tag} but cannot inspect it: ${lastLine(id.stderr)}`, log: opts.log, dockerfileDigest };
  return { kind: 'built', engine: opts.engine, reference: `${opts.engine}:${opts.tag}`, imageId: `sha256:${id.stdout.trim().replace(/^sha256:/, '')}`, dockerfileDigest, log: opts.log };
}
