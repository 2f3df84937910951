/**
 * `distill verify`: run an image the hardened way (read-only root, no capabilities,
 * no-new-privileges, no network unless probed) with podman or docker and prove what a distroless
 * image promises — the process is not root, no shell can be executed, it stays up (or exits 0)
 * read-only, an optional HTTP probe answers — plus a YAML test file (file exists / absent,
 * command output, exit code) run without any shell in the image: file checks read the image's
 * layers, commands run as the entrypoint.
 */
import { randomBytes } from 'node:crypto';
import { freeLoopbackPort } from '../util/net.ts';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { openImage } from '../oci/reference.ts';
import { codeOf, DistillError } from '../util/errors.ts';
import { containerState, detectEngine, engineImage, releaseEngineImage, HARDENING_FLAGS, lastLine, processUid, runEngine, type Engine } from './engine.ts';
import { lookup, mergedFs } from './fsview.ts';
import { exposedTcp, listeningPorts, portsCheck } from './ports.ts';
import type { FsEntry } from '../layers/filesystem.ts';
import type { Image } from '../oci/image.ts';
import { describeUser, showUser, type UserResolution } from '../oci/user.ts';
import { imageUser } from '../analyze/user-files.ts';

export type CheckStatus = 'pass' | 'fail' | 'unknown';

export interface VerifyCheck {
  /** Stable id: start, non-root, no-shell, read-only, ports, probe, test:<name>. */
  id: string;
  status: CheckStatus;
  reason: string;
}

export interface VerifyResult {
  reference: string;
  engine: Engine;
  /** What the engine ran (an image id or name). */
  engineImage: string;
  /** Name of the container the checks ran in (removed when they finish). */
  container: string;
  /** True when no check failed. */
  passed: boolean;
  checks: VerifyCheck[];
  /** TCP ports the process was seen listening on (from the host's /proc), when it stayed up. */
  listening?: number[];
}

export interface VerifyOptions {
  engine?: Engine;
  /** Seconds the container must stay up read-only (default 3). */
  duration?: number;
  /** URL on 127.0.0.1/localhost; its port is published on loopback. */
  probe?: string;
  /** Seconds to keep trying the probe (default 15). */
  probeTimeout?: number;
  /** YAML test file. */
  tests?: string;
  /** Override the entrypoint (first word is the program). */
  entrypoint?: string[];
  /** Override the command (arguments). */
  cmd?: string[];
  /** Shells tried (default sh, /bin/sh, /busybox/sh, bash). */
  shells?: string[];
  /**
   * Run the image plainly (no hardening flags) first; if it does not start even so, report only
   * `start` — "does not start: <the app's error>" — and blame no hardening check.
   */
  startCheck?: boolean;
}

/**
 * The line of a crashed process's output that says why: the last line that reads as an error
 * (`Error: …`, `ModuleNotFoundError: …`, `panic: …`, `fatal …`), else the last non-empty line —
 * never a trailer such as Node's `Node.js v22.1.0`.
 */
export function startError(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const errorish = lines.filter((l) => /^(\w*(Error|Exception)\b|panic:|fatal\b|error\b|.*: not found$|.*no such file or directory)/i.test(l));
  return (errorish.pop() ?? lines.pop() ?? 'no output').slice(0, 300);
}

/** The TCP ports the image's config EXPOSEs (none when it cannot be read). */
async function exposedOf(ref: string): Promise<number[]> {
  return openImage(ref)
    .then(async (im) => exposedTcp((await im.config()).config?.ExposedPorts))
    .catch(() => []);
}

/** Runs `image` without hardening for up to `ms`; undefined when it stays up or exits 0, else the reason. */
async function plainStartFailure(engine: Engine, image: string, opts: VerifyOptions, ms: number): Promise<string | undefined> {
  const name = `distill-start-${randomBytes(5).toString('hex')}`;
  const run = await runEngine(engine, ['run', '-d', '--name', name, '--network', 'none', ...entryArgs(image, opts.entrypoint, opts.cmd)], { timeoutMs: 120_000 });
  try {
    if (run.code !== 0) return startError(run.stderr);
    const until = Date.now() + ms;
    let st = await containerState(engine, name);
    while (st?.running && Date.now() < until) {
      await sleep(200);
      st = await containerState(engine, name);
    }
    if (!st || st.running || st.exitCode === 0) return undefined;
    const logs = await runEngine(engine, ['logs', '--tail', '40', name]);
    return `${startError(logs.stderr + '\n' + logs.stdout)} (exit ${st.exitCode})`;
  } finally {
    await runEngine(engine, ['rm', '-f', '-t', '0', name]);
  }
}

const TestSchema = z
  .object({
    name: z.string().min(1),
    fileExists: z.string().optional(),
    fileAbsent: z.string().optional(),
    /** Octal permission bits, e.g. "0755". */
    mode: z.string().regex(/^0?[0-7]{3,4}$/).optional(),
    uid: z.number().int().optional(),
    gid: z.number().int().optional(),
    type: z.enum(['file', 'directory', 'symlink']).optional(),
    command: z.array(z.string()).min(1).optional(),
    expectedOutput: z.array(z.string()).optional(),
    excludedOutput: z.array(z.string()).optional(),
    expectedError: z.array(z.string()).optional(),
    exitCode: z.number().int().optional(),
  })
  .strict()
  .refine((t) => [t.fileExists, t.fileAbsent, t.command].filter((x) => x !== undefined).length === 1, {
    message: 'each test needs exactly one of fileExists, fileAbsent, command',
  });
const TestFileSchema = z.object({ tests: z.array(TestSchema).min(1) }).strict();
export type VerifyTest = z.infer<typeof TestSchema>;

/** Reads and validates a verify test file. */
export function readTestFile(file: string): VerifyTest[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DistillError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message.split('\n')[0]!, { code: codeOf(e) });
  }
  const r = TestFileSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new DistillError(file, `${i.path.join('.') || 'file'}: ${i.message}`);
  }
  const names = new Set<string>();
  for (const t of r.data.tests) {
    if (names.has(t.name)) throw new DistillError(file, `duplicate test name ${t.name}`);
    names.add(t.name);
    for (const re of [...(t.expectedOutput ?? []), ...(t.excludedOutput ?? []), ...(t.expectedError ?? [])]) {
      try {
        new RegExp(re, 'm');
      } catch {
        throw new DistillError(file, `test ${t.name}: bad regular expression ${re}`);
      }
    }
  }
  return r.data.tests;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parses a probe URL; it must name a loopback host and a port. */
export function probeTarget(url: string): { url: URL; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DistillError(url, 'not a URL', { code: 'E_USAGE' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new DistillError(url, 'probe must be http:// or https://', { code: 'E_USAGE' });
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) throw new DistillError(url, 'probe host must be 127.0.0.1 or localhost: the port is published on loopback only', { code: 'E_USAGE' });
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return { url: u, port };
}


/** Arguments that run `image` with an optional entrypoint/command override (docker takes one word). */
function entryArgs(image: string, entrypoint: string[] | undefined, cmd: string[] | undefined): string[] {
  if (entrypoint?.length) return ['--entrypoint', entrypoint[0]!, image, ...entrypoint.slice(1), ...(cmd ?? [])];
  return [image, ...(cmd ?? [])];
}

function describeNode(n: FsEntry): string {
  return `${n.type} mode ${n.mode.toString(8).padStart(4, '0')} uid ${n.uid} gid ${n.gid}`;
}

/**
 * The non-root check from what the image claims — its config User resolved against its own
 * /etc/passwd and /etc/group, as inspect, audit and compare resolve it — for a process that
 * exited before its uid could be read from /proc.
 */
export async function claimedNonRoot(image: Image): Promise<{ user: UserResolution; check: VerifyCheck }> {
  const user = await imageUser(image);
  const when = '(process exited before it could be observed)';
  const shown = user.raw === '' ? 'unset' : showUser(user.raw);
  const check: VerifyCheck =
    user.root === true
      ? { id: 'non-root', status: 'fail', reason: `runs as root: the image user is ${shown}, ${describeUser(user)} ${when}` }
      : user.root === false
        ? { id: 'non-root', status: 'pass', reason: `image user ${shown} is ${describeUser(user)} ${when}` }
        : { id: 'non-root', status: 'unknown', reason: `image user ${shown}: ${user.reason} ${when}` };
  return { user, check };
}

/** Runs every check against `ref` and reports each with its reason. */
export async function verifyImage(ref: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const engine = detectEngine(opts.engine);
  const tests = opts.tests ? readTestFile(opts.tests) : [];
  const probe = opts.probe ? probeTarget(opts.probe) : undefined;
  const durationMs = Math.round((opts.duration ?? 3) * 1000);
  const imported = await engineImage(engine, ref);
  const image = imported.name;
  try {
    const checks: VerifyCheck[] = [];
    if (opts.startCheck) {
      const failed = await plainStartFailure(engine, image, opts, Math.min(durationMs, 2000));
      if (failed) return { reference: ref, engine, engineImage: image, container: '', passed: false, checks: [{ id: 'start', status: 'fail', reason: `does not start: ${failed}` }] };
    }
    const name = `distill-verify-${randomBytes(5).toString('hex')}`;
    // The probe's port inside the container is published on a free loopback port of the host, so
    // whatever already listens on the host's 8080 neither blocks the run nor answers the probe.
    const hostPort = probe ? await freeLoopbackPort() : 0;
    const net = probe ? ['-p', `127.0.0.1:${hostPort}:${probe.port}`] : ['--network', 'none'];
    const probeUrl = probe ? Object.assign(new URL(probe.url.href), { hostname: '127.0.0.1', port: String(hostPort) }) : undefined;
    const started = Date.now();
    let listening: number[] | undefined;
    const run = await runEngine(engine, ['run', '-d', '--name', name, ...HARDENING_FLAGS, ...net, ...entryArgs(image, opts.entrypoint, opts.cmd)], { timeoutMs: 120_000 });
    try {
      if (run.code !== 0) {
        checks.push({ id: 'read-only', status: 'fail', reason: `did not start with the hardening flags: ${lastLine(run.stderr)}` });
      }
      // The uid, read from the host's /proc while the process is alive.
      let observed: { uid: number; gid: number } | undefined;
      let state = run.code === 0 ? await containerState(engine, name) : undefined;
      for (let i = 0; run.code === 0 && i < 20 && state?.running; i++) {
        if (state.pid > 0) observed = processUid(state.pid);
        if (observed) break;
        await sleep(100);
        state = await containerState(engine, name);
      }
      if (observed) {
        checks.push(
          observed.uid === 0
            ? { id: 'non-root', status: 'fail', reason: `runs as root: the process has uid 0 (gid ${observed.gid})` }
            : { id: 'non-root', status: 'pass', reason: `process runs as uid ${observed.uid} gid ${observed.gid}` },
        );
      } else {
        // Exited too soon to be observed: fall back to what the image claims.
        checks.push(
          await openImage(ref)
            .then(claimedNonRoot)
            .then((c) => c.check)
            .catch((e: unknown): VerifyCheck => ({ id: 'non-root', status: 'unknown', reason: `process exited before it could be observed, and the image could not be read: ${e instanceof Error ? e.message : String(e)}` })),
        );
      }

      // Shells: exec into the running container, or run each as the entrypoint when it has exited.
      // Only "not found" counts as absent: any other failure (the engine could not start the
      // container at all) leaves the answer unknown rather than claiming there is no shell.
      const ran: string[] = [];
      const undecided: string[] = [];
      const shells = opts.shells ?? ['sh', '/bin/sh', '/busybox/sh', 'bash'];
      for (const sh of shells) {
        const live = (await containerState(engine, name))?.running;
        const r = live
          ? await runEngine(engine, ['exec', name, sh, '-c', 'true'], { timeoutMs: 30_000 })
          : await runEngine(engine, ['run', '--rm', ...HARDENING_FLAGS, '--network', 'none', '--entrypoint', sh, image, '-c', 'true'], { timeoutMs: 60_000 });
        if (r.code === 0) ran.push(sh);
        else if (!/not found|no such file or directory/i.test(r.stderr)) undecided.push(`${sh}: ${lastLine(r.stderr) || `exit ${r.code}`}`);
      }
      checks.push(
        ran.length
          ? { id: 'no-shell', status: 'fail', reason: `shell present: ${ran.map((s) => `\`${s} -c true\``).join(', ')} ran` }
          : undecided.length
            ? { id: 'no-shell', status: 'unknown', reason: `could not tell: ${undecided.join('; ')}` }
            : { id: 'no-shell', status: 'pass', reason: `no shell can be executed (tried ${shells.join(', ')})` },
      );

      if (probe && run.code === 0) {
        const deadline = Date.now() + (opts.probeTimeout ?? 15) * 1000;
        let last = '';
        let ok = false;
        while (Date.now() < deadline) {
          try {
            const res = await fetch(probeUrl!, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
            await res.arrayBuffer();
            last = `HTTP ${res.status}`;
            if (res.status < 400) {
              ok = true;
              break;
            }
          } catch (e) {
            last = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
          }
          if (!(await containerState(engine, name))?.running) {
            last += ' (container exited)';
            break;
          }
          await sleep(250);
        }
        const via = `(published on ${probeUrl!.host})`;
        checks.push(ok ? { id: 'probe', status: 'pass', reason: `${probe.url.href} ${via} answered ${last}` } : { id: 'probe', status: 'fail', reason: `${probe.url.href} ${via} did not answer with success: ${last}` });
      }

      if (run.code === 0) {
        const left = durationMs - (Date.now() - started);
        if (left > 0) await sleep(left);
        const st = await containerState(engine, name);
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        if (st?.running) {
          checks.push({ id: 'read-only', status: 'pass', reason: `still running after ${secs} s with a read-only root filesystem` });
          listening = st.pid > 0 ? listeningPorts(st.pid) : undefined;
          checks.push(portsCheck(await exposedOf(ref), listening));
        } else if (st && st.exitCode === 0) checks.push({ id: 'read-only', status: 'pass', reason: `one-shot: exited 0 with a read-only root filesystem` });
        else {
          const logs = await runEngine(engine, ['logs', '--tail', '40', name]);
          checks.push({ id: 'read-only', status: 'fail', reason: `exited with code ${st?.exitCode ?? '?'} read-only: ${startError(logs.stderr + '\n' + logs.stdout)}` });
        }
      }
    } finally {
      await runEngine(engine, ['rm', '-f', '-t', '0', name]);
    }

    if (tests.length) checks.push(...(await runTests(engine, ref, image, tests)));
    return { reference: ref, engine, engineImage: image, container: name, passed: !checks.some((c) => c.status === 'fail'), checks, ...(listening ? { listening } : {}) };
  } finally {
    // Leave the engine's store as it was: remove the image if this run imported it.
    await releaseEngineImage(engine, imported);
  }
}

/** Runs the test file's checks: file ones on the image's merged layers, commands as entrypoints. */
async function runTests(engine: Engine, ref: string, image: string, tests: VerifyTest[]): Promise<VerifyCheck[]> {
  const out: VerifyCheck[] = [];
  let files: Map<string, FsEntry> | undefined;
  const fs = async () => (files ??= await mergedFs(await openImage(ref)));
  for (const t of tests) {
    const id = `test:${t.name}`;
    if (t.fileAbsent !== undefined) {
      const hit = lookup(await fs(), t.fileAbsent, false);
      out.push(hit ? { id, status: 'fail', reason: `${t.fileAbsent} exists (${describeNode(hit.node)})` } : { id, status: 'pass', reason: `${t.fileAbsent} is absent` });
    } else if (t.fileExists !== undefined) {
      const hit = lookup(await fs(), t.fileExists, t.type !== 'symlink');
      if (!hit) {
        out.push({ id, status: 'fail', reason: `${t.fileExists} does not exist` });
        continue;
      }
      const n = hit.node;
      const wrong: string[] = [];
      if (t.type && n.type !== t.type) wrong.push(`type ${n.type}, want ${t.type}`);
      if (t.mode && n.mode !== parseInt(t.mode, 8)) wrong.push(`mode ${n.mode.toString(8).padStart(4, '0')}, want ${t.mode}`);
      if (t.uid !== undefined && n.uid !== t.uid) wrong.push(`uid ${n.uid}, want ${t.uid}`);
      if (t.gid !== undefined && n.gid !== t.gid) wrong.push(`gid ${n.gid}, want ${t.gid}`);
      const at = hit.path !== t.fileExists ? ` (at ${hit.path})` : '';
      out.push(wrong.length ? { id, status: 'fail', reason: `${t.fileExists}${at}: ${wrong.join('; ')}` } : { id, status: 'pass', reason: `${t.fileExists}${at} exists: ${describeNode(n)}` });
    } else if (t.command) {
      const r = await runEngine(engine, ['run', '--rm', ...HARDENING_FLAGS, '--network', 'none', ...entryArgs(image, t.command, [])], { timeoutMs: 120_000 });
      const wrong: string[] = [];
      const want = t.exitCode ?? 0;
      if (r.code !== want) wrong.push(`exit code ${r.code}, want ${want}${r.stderr.trim() ? ` (${lastLine(r.stderr).slice(0, 200)})` : ''}`);
      for (const re of t.expectedOutput ?? []) if (!new RegExp(re, 'm').test(r.stdout)) wrong.push(`stdout does not match /${re}/`);
      for (const re of t.excludedOutput ?? []) if (new RegExp(re, 'm').test(r.stdout)) wrong.push(`stdout matches excluded /${re}/`);
      for (const re of t.expectedError ?? []) if (!new RegExp(re, 'm').test(r.stderr)) wrong.push(`stderr does not match /${re}/`);
      out.push(wrong.length ? { id, status: 'fail', reason: `${t.command.join(' ')}: ${wrong.join('; ')}` } : { id, status: 'pass', reason: `${t.command.join(' ')}: exit ${r.code}${t.expectedOutput?.length ? ', output as expected' : ''}` });
    }
  }
  return out;
}
