/** Shared helpers for benchmarks: timing a command or a function, peak RSS of a child, the CLI as installed. */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface Timed {
  seconds: number;
  /** Peak resident set size in MiB when measured (via /usr/bin/time -f %M), else undefined. */
  peakRssMiB?: number;
  stdout: string;
}

/** Runs `cmd args` under `/usr/bin/time -f %M` when present, returning wall time and peak RSS. */
export function timeCommand(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; shell?: boolean } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const marker = '__PEAK_RSS_KB__';
    const child = opts.shell
      ? spawn('/usr/bin/time', ['-f', `${marker}%M`, 'sh', '-c', cmd], { env: opts.env ?? process.env })
      : spawn('/usr/bin/time', ['-f', `${marker}%M`, cmd, ...args], { env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      const m = new RegExp(`${marker}(\\d+)`).exec(stderr);
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${stderr.replace(new RegExp(`${marker}\\d+`), '').trim().slice(-400)}`));
      resolve({ seconds, peakRssMiB: m ? Number(m[1]) / 1024 : undefined, stdout });
    });
  });
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

/**
 * The CLI laid out as `npm install` leaves it (package.json's `files`: bin and dist, no src), in a
 * temp dir beside this checkout's node_modules: its bin/distill.js loads dist/ at once. Run from
 * the checkout, bin/ first scans src/ for files newer than the build (~5 ms), a development aid
 * that users of the installed tool never pay.
 */
export function installedCli(root: string, dir: string): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  // bin/ is copied (a symlink would resolve back into the checkout, src/ and all); dist/ and
  // node_modules are linked.
  copyFileSync(join(root, 'bin', 'distill.js'), join(dir, 'bin', 'distill.js'));
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'dist'), join(dir, 'dist'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin', 'distill.js');
}
