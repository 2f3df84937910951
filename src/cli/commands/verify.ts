/** `distill verify IMAGE [-- CMD…]`: run it hardened with podman/docker and prove it is distroless. */
import { Option, type Command } from 'commander';
import { verifyImage, type CheckStatus } from '../../runtime/verify.ts';
import type { Engine } from '../../runtime/engine.ts';
import { DistillError } from '../../util/errors.ts';
import { colors, printJson, table, type CommonOptions } from '../output.ts';

interface VerifyCliOptions extends CommonOptions {
  engine?: Engine;
  duration: string;
  probe?: string;
  probeTimeout: string;
  tests?: string;
  entrypoint?: string;
}

const paint: Record<CheckStatus, (s: string) => string> = { pass: colors.green, fail: colors.red, unknown: colors.yellow };

function seconds(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new DistillError(v, `${flag} needs a number of seconds`, { code: 'E_USAGE' });
  return n;
}

/** `--entrypoint` as a JSON array (`'["/app","-v"]'`) or one program path. */
function entrypointArg(v: string): string[] {
  if (v.trim().startsWith('[')) {
    try {
      const a = JSON.parse(v) as unknown;
      if (Array.isArray(a) && a.length && a.every((x) => typeof x === 'string')) return a as string[];
    } catch {
      /* reported below */
    }
    throw new DistillError(v, '--entrypoint must be a program path or a JSON array of strings', { code: 'E_USAGE' });
  }
  return [v];
}

/** Registers `distill verify`. */
export function register(program: Command): void {
  program
    .command('verify')
    .description('run an image hardened (read-only, no capabilities, no-new-privileges) and prove: not root, no shell, stays up, probe, tests')
    .argument('<image>', 'image reference (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, podman:NAME, docker:NAME)')
    .argument('[cmd...]', 'command (arguments) to run instead of the image\'s CMD, after --')
    .addOption(new Option('--engine <engine>', 'container engine (default: podman, else docker)').choices(['podman', 'docker']))
    .option('--duration <seconds>', 'how long it must stay up read-only (a one-shot may exit 0 instead)', '3')
    .option('--probe <url>', 'HTTP(S) URL (127.0.0.1 or localhost, the port the app listens on in the container) that must answer < 400; published on a free loopback port')
    .option('--probe-timeout <seconds>', 'how long to keep trying the probe', '15')
    .option('--tests <file>', 'YAML test file: fileExists / fileAbsent / command (expectedOutput, excludedOutput, exitCode)')
    .option('--entrypoint <program>', 'entrypoint instead of the image\'s (a path or a JSON array)')
    .option('--json', 'print the checks as JSON')
    .option('-q, --quiet', 'print only the verdict line')
    .addHelpText(
      'after',
      `
Checks: non-root (the process uid, read from /proc on the host), no-shell (sh, /bin/sh,
/busybox/sh, bash cannot be executed), read-only (stays up for --duration or exits 0 with a
read-only root), probe (with --probe), test:<name> (with --tests). The network is "none" unless
--probe is given. Test file:

  tests:
    - name: app present
      fileExists: /app/server.js
      mode: "0644"
      uid: 0
    - name: no package manager
      fileAbsent: /usr/bin/apt
    - name: node version
      command: ["/nodejs/bin/node", "--version"]
      expectedOutput: ["^v22\\\\."]

Exit status: 0 every check passed; 1 a check failed; 2 bad input or no engine.`,
    )
    .action(async (ref: string, cmd: string[], opts: VerifyCliOptions) => {
      const r = await verifyImage(ref, {
        engine: opts.engine,
        duration: seconds(opts.duration, '--duration'),
        probe: opts.probe,
        probeTimeout: seconds(opts.probeTimeout, '--probe-timeout'),
        tests: opts.tests,
        entrypoint: opts.entrypoint ? entrypointArg(opts.entrypoint) : undefined,
        cmd: cmd.length ? cmd : undefined,
      });
      const failed = r.checks.filter((c) => c.status === 'fail');
      const verdict = r.passed ? colors.green(`verified: ${ref} passed ${r.checks.length} checks`) : colors.red(`not verified: ${ref} failed ${failed.map((c) => c.id).join(', ')}`);
      if (opts.json) printJson(r);
      else if (opts.quiet) process.stdout.write(verdict + '\n');
      else {
        const t = table(['check', 'result', 'reason']);
        for (const c of r.checks) t.push([c.id, paint[c.status](c.status), c.reason]);
        process.stdout.write(`${ref} with ${r.engine}\n${t.toString()}\n${verdict}\n`);
      }
      if (!r.passed) process.exitCode = 1;
    });
}
