/**
 * Python apps: third-party packages via `pip install --target` from a local wheelhouse only
 * (`--artifact DIR` of wheels, or APPDIR/wheelhouse or wheels/), into /app/site-packages in
 * their own layer; the source in another. Without a wheelhouse, requirements that name packages
 * are refused with a clear message rather than reaching for an index.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { DEPS_DIR } from '../plan/python.ts';
import { cacheDir, hashInputs, hasTool, ignoreMatcher, runTool, type BuildContext, type BuildPlan } from './common.ts';

/** Requirement lines that name something to install (comments, blanks and pip options dropped). */
export function requirementLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').replace(/^#.*$/, '').trim())
    .filter((l) => l && !l.startsWith('-'));
}

/** Dependencies listed in pyproject.toml's [project] dependencies array (simple TOML subset). */
function pyprojectDeps(text: string): string[] {
  const m = /^\s*dependencies\s*=\s*\[([^\]]*)\]/m.exec(text);
  if (!m) return [];
  return [...m[1]!.matchAll(/["']([^"']+)["']/g)].map((x) => x[1]!);
}

function entryFile(appDir: string, workdir: string): string[] {
  for (const f of ['app.py', 'main.py', 'server.py', 'wsgi.py']) if (existsSync(join(appDir, f))) return [`${workdir}/${f}`];
  if (existsSync(join(appDir, '__main__.py'))) return [workdir];
  const pkgs = readdirSync(appDir).filter((d) => existsSync(join(appDir, d, '__main__.py')));
  if (pkgs.length === 1) return ['-m', pkgs[0]!];
  throw new DistillError(appDir, 'no entry: add app.py/main.py or a package with __main__.py, or pass --cmd');
}

/** Plans a Python build. */
export async function planPython(ctx: BuildContext): Promise<BuildPlan> {
  const plan: BuildPlan = {
    runtime: 'python',
    flavour: 'python3',
    layers: [],
    // With a Dockerfile the run plan names the command; only without one is the entry guessed.
    cmd: ctx.planned ? [] : entryFile(ctx.appDir, ctx.workdir),
    entrypoint: ['python3'],
    interpreter: /(^|\/)python3(\.\d+)?$/,
    env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    steps: [],
    warnings: [],
  };
  const reqPath = join(ctx.appDir, 'requirements.txt');
  const reqs = existsSync(reqPath) ? requirementLines(readFileSync(reqPath, 'utf8')) : [];
  const pyproject = join(ctx.appDir, 'pyproject.toml');
  const projDeps = !reqs.length && existsSync(pyproject) ? pyprojectDeps(readFileSync(pyproject, 'utf8')) : [];
  const wanted = reqs.length ? reqs : projDeps;
  if (wanted.length) {
    const wheelhouse = [ctx.artifact, join(ctx.appDir, 'wheelhouse'), join(ctx.appDir, 'wheels')].find(
      (d) => d && existsSync(d) && statSync(d).isDirectory() && readdirSync(d).some((n) => n.endsWith('.whl') || n.endsWith('.tar.gz')),
    );
    if (!wheelhouse) {
      throw new DistillError(
        reqs.length ? reqPath : pyproject,
        `${wanted.length} third-party package(s) (${wanted.slice(0, 3).join(', ')}${wanted.length > 3 ? ', …' : ''}) need pip and a package index, which distill does not reach; download wheels elsewhere (pip download -d wheelhouse -r requirements.txt) and pass --artifact wheelhouse`,
      );
    }
    const pip = hasTool('pip3') ? ['pip3'] : hasTool('python3') ? ['python3', '-m', 'pip'] : undefined;
    if (!pip) throw new DistillError(ctx.appDir, 'pip not found on PATH; install python3-pip');
    const files = readdirSync(wheelhouse).sort();
    const key = hashInputs(['pip-v1', ctx.arch, wanted.join('\n'), ...files.map((f) => ({ file: join(wheelhouse, f) }))]);
    const dir = cacheDir('pip', key);
    const target = join(dir, 'site-packages');
    if (!existsSync(join(dir, '.complete'))) {
      const args = [...pip.slice(1), 'install', '--no-index', '--find-links', wheelhouse, '--target', target, '--no-compile', '--disable-pip-version-check', ...(reqs.length ? ['-r', reqPath] : wanted)];
      ctx.log(`pip install --no-index --target (wheelhouse ${wheelhouse})`);
      await runTool(pip[0]!, args, { cwd: ctx.appDir, what: wheelhouse });
      await runTool('sh', ['-c', `touch "${join(dir, '.complete')}"`], { cwd: dir, what: dir });
    }
    plan.steps.push(`pip install --no-index --find-links ${wheelhouse} --target ${DEPS_DIR}`);
    // Console-script shims carry the host's interpreter path and are useless in the image.
    const exclude = (rel: string) => rel === 'bin' || rel.startsWith('bin/') || /__pycache__/.test(rel);
    plan.layers.push({ name: 'dependencies', holds: `site-packages (${wanted.length} requirement(s))`, sources: [{ src: target, dest: DEPS_DIR, exclude }], cacheKey: `pip:${target}` });
    plan.env!.PYTHONPATH = DEPS_DIR;
  }
  const ignore = ignoreMatcher(ctx.appDir, ctx.fromDockerfile ? ['__pycache__'] : ['wheelhouse', 'wheels', '__pycache__', '.venv', 'venv'], { asCopy: ctx.fromDockerfile });
  plan.layers.push({ name: 'app', holds: 'application source', sources: [{ src: ctx.appDir, dest: ctx.workdir, exclude: (r) => ignore(r) || /(^|\/)__pycache__(\/|$)/.test(r) }] });
  return plan;
}
