/**
 * The user's distill config file: `$DISTILL_CONFIG`, else `$XDG_CONFIG_HOME/distill/config.yaml`,
 * else `~/.config/distill/config.yaml`. Optional: a missing file is an empty config; a malformed
 * one is an input error naming the file, so a typo never silently falls back to defaults.
 *
 * ```yaml
 * osv:
 *   url: https://mirror.example.org/osv/   # or file:///srv/osv, or /srv/osv
 *   refresh: 24h                           # re-check the source after this long (m, h, d; a number is hours)
 *   offline: false                         # true: never touch the network
 * ```
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type * as Yaml from 'yaml';
import type * as Zod from 'zod';
import { codeOf, DistillError } from './errors.ts';

/**
 * The file's schema, built on first use: most runs have no config file, and every scan reads the
 * config, so yaml and zod are loaded (synchronously, loadConfig is sync) only when there is one.
 */
function configSchema(z: typeof Zod) {
  const Duration = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*[smhd]?$/, 'expected a duration such as 30m, 24h or 7d')]);
  return z
    .object({
      osv: z
        .object({
          url: z.string().min(1).optional(),
          refresh: Duration.optional(),
          offline: z.boolean().optional(),
        })
        .strict()
        .optional(),
    })
    .passthrough();
}

/** The settings distill reads from its config file. */
export interface DistillConfig {
  /** Where the file was looked for (whether or not it exists). */
  path: string;
  osv: { url?: string; refreshMs?: number; offline?: boolean };
}

/** The config file's path (see the module comment for the order). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DISTILL_CONFIG) return env.DISTILL_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'distill', 'config.yaml');
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration: a number is in `bareUnit` (hours); strings take s, m, h or d. */
export function parseDuration(v: number | string, bareUnit: 's' | 'h' = 'h'): number {
  if (typeof v === 'number') return v * UNIT_MS[bareUnit]!;
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(v.trim());
  if (!m) throw new Error(`not a duration: ${v}`);
  const unit = UNIT_MS[m[2] || bareUnit]!;
  return Number(m[1]) * unit;
}

/** Reads the config file; absent means empty, unreadable or invalid is a DistillError. */
export function loadConfig(path: string = configPath()): DistillConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return { path, osv: {} };
    throw new DistillError(path, `cannot read config file: ${(e as Error).message}`, { code: codeOf(e) });
  }
  const require = createRequire(import.meta.url);
  const yaml = require('yaml') as typeof Yaml;
  let data: unknown;
  try {
    data = yaml.parse(text);
  } catch (e) {
    throw new DistillError(path, `not valid YAML: ${(e as Error).message.split('\n')[0]}`, { code: 'E_INPUT' });
  }
  const r = configSchema(require('zod') as typeof Zod).safeParse(data ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new DistillError(path, `invalid config at ${i.path.join('.') || '(root)'}: ${i.message}`, { code: 'E_INPUT' });
  }
  const osv = r.data.osv ?? {};
  return {
    path,
    osv: {
      ...(osv.url !== undefined ? { url: osv.url } : {}),
      ...(osv.refresh !== undefined ? { refreshMs: parseDuration(osv.refresh) } : {}),
      ...(osv.offline !== undefined ? { offline: osv.offline } : {}),
    },
  };
}
