/**
 * `distill lint`: hardening rules over a Dockerfile. Parses once (parse.ts), runs every rule in
 * rules/ against the final stage (or `target`) and all stages, then drops findings silenced by
 * options, file-level or per-instruction `# distill-ignore` comments. Input that is not a Dockerfile
 * at all (empty, binary, no FROM) is an input error, not a list of findings.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DistillError } from '../util/errors.ts';
import { parseDockerfile } from './parse.ts';
import { makeContext } from './rules/rule.ts';
import { RULES } from './rules/index.ts';

export type Severity = 'error' | 'warning' | 'info';
export interface Finding { rule: string; severity: Severity; line: number; message: string; fix?: string; file?: string }
export interface LintOptions {
  ignore?: string[];
  /** Whether a .dockerignore sits next to the Dockerfile; leave undefined when unknown. */
  dockerignorePresent?: boolean;
  file?: string;
  /** The stage to treat as final (`--target`): alias or index. Default: the last stage. */
  target?: string;
  /** Honour `# distill-ignore` comments in the file (default true; false for audits). */
  inlineIgnores?: boolean;
}

export { RULES };

/** Severity order, highest first. */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** True when `s` is at or above `threshold` (error > warning > info). */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(s) <= SEVERITIES.indexOf(threshold);
}

/** Decodes a Dockerfile's bytes as UTF-8 (a BOM dropped); throws E_INPUT naming `file` for binary or non-UTF-8 input. */
export function decodeDockerfile(bytes: Uint8Array, file: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DistillError(file, 'is not a text file (not valid UTF-8)', { code: 'E_INPUT' });
  }
  return text;
}

/** Throws E_INPUT when the text cannot be a Dockerfile: empty, NUL bytes, or no FROM. */
function checkInput(text: string, stages: number, file: string): void {
  if (text.includes('\0')) throw new DistillError(file, 'is not a text file (it contains NUL bytes)', { code: 'E_INPUT' });
  if (text.trim() === '') throw new DistillError(file, 'is empty: not a Dockerfile', { code: 'E_INPUT' });
  if (stages === 0) throw new DistillError(file, 'has no FROM instruction: not a Dockerfile', { code: 'E_INPUT' });
}

/** Lints Dockerfile text; returns findings sorted by line, then rule id. Throws E_INPUT for text that is no Dockerfile. */
export function lintDockerfile(text: string, opts: LintOptions = {}): Finding[] {
  const model = parseDockerfile(text);
  checkInput(text, model.stages.length, opts.file ?? '-');
  if (opts.target !== undefined) {
    const t = opts.target.toLowerCase();
    if (!model.stages.some((s) => s.alias?.toLowerCase() === t || String(s.index) === t)) {
      throw new DistillError(opts.file ?? '-', `--target ${opts.target}: no such stage (stages: ${model.stages.map((s) => s.alias ?? String(s.index)).join(', ') || 'none'})`);
    }
  }
  const ctx = makeContext(model, { target: opts.target, dockerignorePresent: opts.dockerignorePresent });
  const inline = opts.inlineIgnores !== false;
  const ignored = new Set([...(opts.ignore ?? []), ...(inline ? model.fileIgnore : [])].map((s) => s.toUpperCase()));
  const byLine = new Map<number, string[]>();
  if (inline) for (const i of model.instructions) if (i.ignore.length) byLine.set(i.line, i.ignore);
  const out: Finding[] = [];
  for (const rule of RULES) {
    if (ignored.has(rule.id)) continue;
    for (const f of rule.check(ctx)) {
      if (byLine.get(f.line)?.includes(rule.id)) continue;
      const finding: Finding = { rule: rule.id, severity: f.severity ?? rule.severity, line: f.line, message: f.message, fix: f.fix ?? rule.fix };
      if (opts.file !== undefined) finding.file = opts.file;
      out.push(finding);
    }
  }
  return out.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
}

/** Lint configuration from `.distill.yaml` (or `--config`): `ignore: [DL1012]`, optionally under `lint:`. */
export interface LintConfig {
  ignore: string[];
}

/** Reads a YAML or JSON lint config; throws DistillError naming the file when it is malformed. */
export function loadLintConfig(path: string): LintConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DistillError(path, `cannot read the config: ${(e as Error).message}`);
  }
  if (raw === null || raw === undefined) return { ignore: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new DistillError(path, 'the config must be a mapping with an `ignore` list');
  const obj = raw as Record<string, unknown>;
  const section = obj.lint && typeof obj.lint === 'object' ? (obj.lint as Record<string, unknown>) : obj;
  const ignore = section.ignore ?? [];
  if (!Array.isArray(ignore) || !ignore.every((x) => typeof x === 'string')) throw new DistillError(path, '`ignore` must be a list of rule ids such as DL1012');
  const known = new Set(RULES.map((r) => r.id));
  const unknown = ignore.filter((x) => !known.has(x.toUpperCase()));
  if (unknown.length) throw new DistillError(path, `unknown rule id(s) in ignore: ${unknown.join(', ')}`);
  return { ignore: ignore.map((x) => x.toUpperCase()) };
}

/** Lints a Dockerfile on disk, checking for a .dockerignore beside it; `file` in findings is the path as given. */
export function lintFile(path: string, opts: Omit<LintOptions, 'file' | 'dockerignorePresent'> = {}): Finding[] {
  // A directory means the Dockerfile (or Containerfile) in it, as `podman build DIR` does.
  if (existsSync(path) && statSync(path).isDirectory()) {
    const inside = ['Dockerfile', 'Containerfile'].map((n) => join(path, n)).find((p) => existsSync(p));
    if (!inside) throw new DistillError(path, 'is a directory without a Dockerfile or Containerfile');
    path = inside;
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DistillError(path, err.code === 'ENOENT' ? 'no such file' : err.message);
  }
  const text = decodeDockerfile(bytes, path);
  const dir = dirname(path);
  const dockerignorePresent = existsSync(join(dir, '.dockerignore')) || existsSync(`${path}.dockerignore`);
  return lintDockerfile(text, { ...opts, file: path, dockerignorePresent });
}
