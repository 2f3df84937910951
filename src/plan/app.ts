/**
 * The run plan of an app directory, for `distill build` and `harden`: when the app has a
 * Dockerfile (or Containerfile), everything about how it runs — language, base flavour, runtime
 * version, WORKDIR, ENTRYPOINT/CMD, ENV, EXPOSE — comes from `planDockerfile`, the same plan
 * `convert` renders, so the image build assembles starts the program Dockerfile.distroless starts.
 * Without a Dockerfile, detection from package.json and friends fills the plan in the builder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { planDockerfile, type Launch } from './index.ts';
import type { Flavour } from './providers.ts';
import type { Language, RunSpec } from './types.ts';

/** The app's runtime as `distill build` names it (compiled C/C++ is a prebuilt binary: static). */
export type AppRuntime = 'node' | 'python' | 'go' | 'java' | 'rust' | 'dotnet' | 'static';

/** The build runtime of each plan language. */
export const RUNTIME_OF: Record<Language, AppRuntime> = { node: 'node', python: 'python', go: 'go', java: 'java', rust: 'rust', dotnet: 'dotnet', cpp: 'static' };

/** What an app's Dockerfile says about how it runs, for the image builder. */
export interface AppPlan {
  /** The Dockerfile the plan comes from. */
  dockerfile: string;
  language: Language;
  runtime: AppRuntime;
  /** The distroless base flavour the runtime stage uses. */
  flavour: Flavour;
  /** Runtime version the Dockerfile's images name (node major, python x.y, java major). */
  version: string | null;
  workdir: string;
  /** null when the Dockerfile names no command (detection then fills it in, as for an app without one). */
  run: RunSpec | null;
  /** The launch as convert writes it, on the base convert assumes. */
  launch: Launch;
  env: Record<string, string>;
  ports: string[];
  /** `uid[:gid]` the runtime runs as: the author's non-root USER kept (by number), root replaced by 65532, as convert writes it. */
  user: string;
  /** Where the runtime stage expects an artefact of the builder (binary, jar), absolute; null when the app dir itself is the artefact. */
  artefact: string | null;
  warnings: string[];
}

/** The Dockerfile of an app dir (Dockerfile, then Containerfile), or null. */
export function appDockerfile(appDir: string): string | null {
  return ['Dockerfile', 'Containerfile'].map((f) => join(appDir, f)).find((f) => existsSync(f)) ?? null;
}

/**
 * Plans an app from its Dockerfile; null when it has none. A Dockerfile convert refuses is
 * refused here too, with the same reason (exit 3), since the image would not start the same program.
 */
export function planApp(appDir: string, opts: { target?: string } = {}): AppPlan | null {
  const dockerfile = appDockerfile(appDir);
  if (!dockerfile) return null;
  const text = readFileSync(dockerfile, 'utf8').replace(/\r\n/g, '\n');
  let p;
  try {
    // basePrefix: the bases distill builds itself, whose entrypoints are known exactly.
    p = planDockerfile(text, { context: appDir, basePrefix: 'distill', ...(opts.target ? { target: opts.target } : {}) });
  } catch (e) {
    throw new DistillError(dockerfile, (e as Error).message);
  }
  if (p.status === 'refused') throw new DistillError(dockerfile, p.reason, { code: 'E_REFUSED' });
  const run = p.strategy.run;
  return {
    dockerfile, language: p.language, runtime: RUNTIME_OF[p.language], flavour: p.base.flavour, version: p.strategy.version ?? null,
    workdir: p.workdir, run, launch: p.launch, env: p.env, ports: p.ports, user: p.user.user, artefact: run ? artefactPath(run, p.workdir) : null, warnings: p.warnings,
  };
}

/** The file the launch needs from the build: the binary an exec run starts, or the jar after `-jar`. */
export function artefactPath(run: RunSpec, workdir: string): string | null {
  const abs = (p: string) => (p.startsWith('/') ? p : `${workdir.replace(/\/$/, '')}/${p.replace(/^\.\//, '')}`);
  if (run.kind === 'exec') {
    const bin = run.entrypoint[0] ?? run.cmd[0];
    return bin ? abs(bin) : null;
  }
  if (run.kind === 'interp') {
    const j = run.args.indexOf('-jar');
    const jar = j >= 0 ? run.args[j + 1] : undefined;
    return jar ? abs(jar) : null;
  }
  return null;
}

/** The interpreter path a base runs: its ENTRYPOINT's first word when that is the language's interpreter. */
export function baseInterpreter(entrypoint: string[] | null | undefined, language: Language): string | undefined {
  const first = entrypoint?.[0];
  if (!first) return undefined;
  const name = first.split('/').pop() ?? '';
  const want: Partial<Record<Language, RegExp>> = { node: /^node(js)?$/, python: /^python3?(\.\d+)?$/, java: /^java$/ };
  return want[language]?.test(name) ? first : undefined;
}
