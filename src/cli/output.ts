/** Output helpers shared by commands: JSON, quiet mode, TTY detection. */
import pc from 'picocolors';
import { createRequire } from 'node:module';
import type Table from 'cli-table3';
import type { Command } from 'commander';
import { setExpansionLimits } from '../oci/expansion.ts';
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
  // With --json a script reading stdout gets the failure as the document it parses; a person
  // watching stderr still gets the one line.
  if (json) process.stdout.write(JSON.stringify(err.toJSON()) + '\n');
  process.stderr.write(err.oneLine() + '\n');
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

/** Parses `123`, `64K`, `16M`, `1G` (binary units) into bytes; `flag` names it in errors. */
export function parseSize(s: string, flag: string): number {
  const m = /^(\d+)([kmgt]i?b?)?$/i.exec(s.trim());
  if (!m) throw new DistillError(flag, `not a size: ${JSON.stringify(s)} (use e.g. 1048576, 512K, 16M, 1G)`, { code: 'E_USAGE' });
  const unit = (m[2] ?? '').charAt(0).toLowerCase() as '' | 'k' | 'm' | 'g' | 't';
  const n = Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit];
  if (!(n > 0)) throw new DistillError(flag, 'must be greater than 0', { code: 'E_USAGE' });
  return n;
}

/**
 * Adds --max-expansion and --max-ratio (the decompression limits every layer reader applies, see
 * src/oci/expansion.ts) to a command that reads layers, applied before its action runs.
 */
export function expansionFlags(cmd: Command): Command {
  return cmd
    .option('--max-expansion <size>', 'refuse an image whose layers decompress to more than this (default 64G)')
    .option('--max-ratio <n>', 'refuse a layer that decompresses more than N:1 past 256 MiB (default 100)')
    .hook('preAction', (c) => {
      const o = c.opts<{ maxExpansion?: string; maxRatio?: string }>();
      if (o.maxExpansion !== undefined) setExpansionLimits({ maxBytes: parseSize(o.maxExpansion, '--max-expansion') });
      if (o.maxRatio !== undefined) {
        const r = Number(o.maxRatio);
        if (!Number.isFinite(r) || r <= 0) throw new DistillError('--max-ratio', `not a positive number: ${JSON.stringify(o.maxRatio)}`, { code: 'E_USAGE' });
        setExpansionLimits({ maxRatio: r });
      }
    });
}
