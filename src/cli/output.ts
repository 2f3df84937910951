/** Output helpers shared by commands: JSON, quiet mode, TTY detection. */
import pc from 'picocolors';
import { createRequire } from 'node:module';
import type Table from 'cli-table3';
import { DistillError } from '../util/errors.ts';

export interface CommonOptions {
  json?: boolean;
  quiet?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Whether `argv` asks for JSON output (`--json`, `--format json`, `--format=json`), so that a
 * failure is reported as JSON too; arguments after `--` are operands, not flags.
 */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  return flags.some((a, i) => a === '--json' || a === '--format=json' || (a === '--format' && flags[i + 1] === 'json'));
}

/**
 * Reports `err` on stderr, always one line: `distill: <input>: <message>`, or with `json` the
 * compact `{"error":{"code","input","message"}}` (stdout stays for results only, so a redirected
 * report is never an error document in disguise).
 */
export function printError(err: DistillError, json: boolean): void {
  process.stderr.write((json ? JSON.stringify(err.toJSON()) : err.oneLine()) + '\n');
}

export function isTTY(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/** picocolors bound to whether stdout is a terminal. */
export const colors = pc.createColors(isTTY());

/** Human-readable byte size (binary units), e.g. 12.3 MiB. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A cli-table3 table with colours only on a terminal (its default paints headers red). */
export function table(head: string[]): InstanceType<typeof Table> {
  // Required on first use: most runs print no table, and loading it costs every command's start.
  const Ctor = createRequire(import.meta.url)('cli-table3') as typeof Table;
  return new Ctor({ head, style: isTTY() ? { head: ['cyan'] } : { head: [], border: [] } });
}

/** A --cmd/--entrypoint value: a JSON array of strings, or words split on spaces. */
export function parseArgv(v: string, flag: string): string[] {
  if (v.trim().startsWith('[')) {
    try {
      const a = JSON.parse(v) as unknown;
      if (Array.isArray(a) && a.every((x) => typeof x === 'string')) return a;
    } catch {
      /* falls through to the error */
    }
    throw new DistillError(`${flag} ${v}`, 'expected a JSON array of strings');
  }
  return v.split(/\s+/).filter(Boolean);
}
