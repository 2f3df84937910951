/**
 * Runs the real `distill` under /usr/bin/time, so a hostile case can assert peak memory as well as
 * exit status and output; and the checks every hostile case makes of a failed run.
 */
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { BIN, ROOT } from '../helpers/cli.ts';

export interface MeasuredRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the distill process, in bytes. */
  maxRss: number;
  ms: number;
}

/** Runs `distill args…`; stderr comes back without time's own line. */
export function runMeasured(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<MeasuredRun> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'DISTILL-MAXRSS %M', process.execPath, BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, DISTILL_FROM_SOURCE: '1', NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /DISTILL-MAXRSS (\d+)\n?$/.exec(stderr);
      const clean = stderr.replace(/(Command exited with non-zero status \d+\n)?DISTILL-MAXRSS \d+\n?$/, '');
      resolve({ code: code ?? -1, stdout, stderr: clean, maxRss: m ? Number(m[1]) * 1024 : NaN, ms: Date.now() - t0 });
    });
  });
}

/** A failed run's contract: the exit status, exactly one `distill: …` line on stderr, no stack trace. */
export function assertOneLineFailure(r: MeasuredRun, code: number, pattern?: RegExp): void {
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(r.code, code, `exit ${r.code}, want ${code}; stderr:\n${r.stderr}`);
  assert.equal(lines.length, 1, `want one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^distill: /);
  assert.ok(!/^ {4}at /m.test(r.stderr + r.stdout), 'a stack trace was printed');
  if (pattern) assert.match(lines[0]!, pattern);
}

/** Whether `s` holds a control character other than newline (what no text output may print raw). */
export function hasRawControl(s: string): boolean {
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  return /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(s);
}
