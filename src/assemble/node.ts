/**
 * Node.js apps: production dependencies from `npm ci --omit=dev` (in a cache keyed by the
 * lockfile, never in APPDIR) in their own layer, the source in another; CMD from the start
 * script, `main`, or a conventional entry file, for the nodejs base whose entrypoint is node.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { cacheDir, hashInputs, hasTool, ignoreMatcher, inApp, runTool, type BuildContext, type BuildPlan } from './common.ts';

interface PackageJson {
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

/** The file node should run: `node FILE` in scripts.start, else main, else server/index/app.js. */
export function nodeEntry(appDir: string, pkg: PackageJson): string {
  const start = pkg.scripts?.start;
  const m = start ? /^\s*node\s+(?:--?[\w-]+(?:=\S+)?\s+)*([^\s;&|]+)\s*$/.exec(start) : null;
  if (m && existsSync(join(appDir, m[1]!))) return m[1]!.replace(/^\.\//, '');
  if (pkg.main && existsSync(join(appDir, pkg.main))) return pkg.main.replace(/^\.\//, '');
  for (const f of ['server.js', 'index.js', 'app.js', 'main.js', 'server.mjs', 'index.mjs']) if (existsSync(join(appDir, f))) return f;
  throw new DistillError(join(appDir, 'package.json'), 'no entry file: set "main", a "start": "node FILE" script, or add server.js/index.js');
}

/** Plans a Node.js build. */
export async function planNode(ctx: BuildContext): Promise<BuildPlan> {
  const pkgPath = join(ctx.appDir, 'package.json');
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as PackageJson;
  } catch (e) {
    throw new DistillError(pkgPath, `not valid JSON: ${(e as Error).message}`);
  }
  const plan: BuildPlan = {
    runtime: 'node',
    flavour: 'nodejs',
    layers: [],
    cmd: [],
    entrypoint: ['node'],
    interpreter: /(^|\/)node$/,
    env: { NODE_ENV: 'production' },
    steps: [],
    warnings: [],
  };
  const deps = Object.keys(pkg.dependencies ?? {});
  if (deps.length) {
    const lock = ['package-lock.json', 'npm-shrinkwrap.json'].find((f) => existsSync(join(ctx.appDir, f)));
    const prebuilt = ctx.artifact && existsSync(join(ctx.artifact, 'node_modules')) ? join(ctx.artifact, 'node_modules') : undefined;
    let modules: string;
    if (prebuilt) {
      modules = prebuilt;
      plan.steps.push(`node_modules from ${prebuilt}`);
    } else {
      if (!hasTool('npm')) throw new DistillError(ctx.appDir, 'npm not found on PATH; install Node.js/npm or pass --artifact DIR holding node_modules');
      const nodeVersion = process.version;
      const key = hashInputs(['npm-v1', nodeVersion, ctx.arch, { file: pkgPath }, { file: join(ctx.appDir, lock ?? 'package-lock.json') }]);
      const dir = cacheDir('npm', key);
      modules = join(dir, 'node_modules');
      if (!existsSync(join(dir, '.complete'))) {
        cpSync(pkgPath, join(dir, 'package.json'));
        if (lock) cpSync(join(ctx.appDir, lock), join(dir, lock));
        else plan.warnings.push('no package-lock.json: dependencies resolved now with npm install (not reproducible); commit a lockfile');
        const args = lock ? ['ci', '--omit=dev', '--no-audit', '--no-fund'] : ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock'];
        ctx.log(`npm ${args.join(' ')}`);
        await runTool('npm', args, { cwd: dir, what: pkgPath, env: { npm_config_update_notifier: 'false' } });
        cpSync(pkgPath, join(dir, '.complete'));
        plan.steps.push(`npm ${args.join(' ')}`);
      } else plan.steps.push(`npm ci --omit=dev (cached ${key.slice(0, 12)})`);
    }
    if (existsSync(modules)) {
      plan.layers.push({
        name: 'dependencies',
        holds: `node_modules (${deps.length} direct)`,
        sources: [{ src: modules, dest: inApp(ctx, 'node_modules') }],
        ...(prebuilt ? {} : { cacheKey: `npm:${modules}` }),
      });
    }
  }
  const exclude = ignoreMatcher(ctx.appDir, ['node_modules'], { asCopy: ctx.fromDockerfile });
  plan.layers.push({ name: 'app', holds: 'application source', sources: [{ src: ctx.appDir, dest: ctx.workdir, exclude }] });
  // With a Dockerfile the run plan names the command; only without one is the entry guessed.
  if (!ctx.planned) plan.cmd = [inApp(ctx, nodeEntry(ctx.appDir, pkg))];
  return plan;
}
