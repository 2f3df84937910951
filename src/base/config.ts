/** `distill.yaml`: a declarative base image (flavour, extra packages, files, user, env, entrypoint). */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { codeOf, DistillError } from '../util/errors.ts';

const schema = z.strictObject({
  flavour: z.string().optional(),
  packages: z.array(z.string()).optional(),
  node: z.union([z.string(), z.number()]).optional(),
  files: z.array(z.strictObject({ src: z.string(), dest: z.string(), mode: z.number().int().optional() })).optional(),
  user: z.union([z.string(), z.number()]).optional(),
  env: z.record(z.string(), z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  cmd: z.array(z.string()).optional(),
});

export type BaseConfig = z.infer<typeof schema>;

/** Reads and validates a distill.yaml; `files[].src` are resolved against its directory. */
export function readBaseConfig(path: string): BaseConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DistillError(path, `cannot read: ${e instanceof Error ? e.message : String(e)}`, { code: codeOf(e) });
  }
  const r = schema.safeParse(raw ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new DistillError(path, `invalid at ${i.path.join('.') || '(top level)'}: ${i.message}`, { code: 'E_INPUT' });
  }
  const dir = dirname(resolve(path));
  return { ...r.data, files: r.data.files?.map((f) => ({ ...f, src: resolve(dir, f.src) })) };
}
