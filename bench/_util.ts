/** Shared helpers for benchmarks: timing a command or a function, and peak RSS of a child. */
import { spawn } from 'node:child_process';

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
