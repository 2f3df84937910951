/**
 * Python apps: third-party packages via `pip install --target` (src/assemble/pip.ts) from the
 * index the user's pip uses, or from a wheelhouse when there is one (`--artifact DIR` of wheels,
 * APPDIR/wheelhouse or wheels/: air-gapped builds), as wheels for the base's Python, into
 * /opt/pydeps in their own layer (cached by the pins); the source in another.
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { DEPS_DIR } from '../plan/python.ts';
import { cacheDir, hashInputs, ignoreMatcher, type BuildContext, type BuildPlan } from './common.ts';
import { describeIndex, findRequirements, flavourPythonVersion, pipInstall } from './pip.ts';

export { requirementLines } from './pip.ts';

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
  const reqs = findRequirements(ctx.appDir, ctx.work);
  if (reqs) {
    const wheelhouse = [ctx.artifact, join(ctx.appDir, 'wheelhouse'), join(ctx.appDir, 'wheels')].find(
      (d) => d && existsSync(d) && statSync(d).isDirectory() && readdirSync(d).some((n) => n.endsWith('.whl') || n.endsWith('.tar.gz')),
    );
    if (ctx.deps?.offline && !wheelhouse) throw new DistillError(reqs.source, '--offline: pip reaches no index; pass --artifact WHEELHOUSE (pip download -d wheelhouse -r requirements.txt)');
    const pip = ctx.deps?.pip ?? {};
    const pythonVersion = pip.pythonVersion ?? flavourPythonVersion();
    const index = wheelhouse ? `wheelhouse ${wheelhouse}` : describeIndex(pip);
    const files = wheelhouse ? readdirSync(wheelhouse).sort() : [];
    const key = hashInputs([
      'pip-v2', ctx.arch, pythonVersion, index, String(pip.allowSdist ?? false), ...(pip.extraIndexUrls ?? []), process.env.PIP_EXTRA_INDEX_URL ?? '',
      { file: reqs.file }, ...files.map((f) => ({ file: join(wheelhouse!, f) })),
    ]);
    const dir = cacheDir('pip', key);
    const target = join(dir, 'site-packages');
    if (!existsSync(join(dir, '.complete'))) {
      rmSync(target, { recursive: true, force: true });
      ctx.log(`pip install ${reqs.names.length} requirement(s) from ${index}`);
      const steps = await pipInstall({ reqs, target, pythonVersion, arch: ctx.arch, opts: pip, cwd: ctx.appDir, ...(wheelhouse ? { wheelhouse } : {}), onLine: (l) => ctx.log(`pip: ${l.slice(0, 100)}`) });
      writeFileSync(join(dir, '.complete'), `${steps.join('\n')}\n`);
    }
    plan.steps.push(...readFileSync(join(dir, '.complete'), 'utf8').trim().split('\n'), `index: ${index}${reqs.hashed ? ' (hashes required)' : ''}`);
    // Console-script shims carry the host's interpreter path and are useless in the image.
    const exclude = (rel: string) => rel === 'bin' || rel.startsWith('bin/') || /__pycache__/.test(rel);
    plan.layers.push({ name: 'dependencies', holds: `site-packages (${reqs.names.length} requirement(s), Python ${pythonVersion})`, sources: [{ src: target, dest: DEPS_DIR, exclude }], cacheKey: `pip:${target}` });
    plan.env!.PYTHONPATH = DEPS_DIR;
  }
  const ignore = ignoreMatcher(ctx.appDir, ctx.fromDockerfile ? ['__pycache__'] : ['wheelhouse', 'wheels', '__pycache__', '.venv', 'venv'], { asCopy: ctx.fromDockerfile });
  plan.layers.push({ name: 'app', holds: 'application source', sources: [{ src: ctx.appDir, dest: ctx.workdir, exclude: (r) => ignore(r) || /(^|\/)__pycache__(\/|$)/.test(r) }] });
  return plan;
}
