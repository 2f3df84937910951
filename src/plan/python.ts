/**
 * Python: pip requirements, Poetry, uv, Pipenv; gunicorn/uvicorn and other console scripts.
 * Dependencies are installed a second time with `--target` into one directory that the
 * runtime puts on PYTHONPATH: console-script shebangs and venv symlinks point at the builder's
 * interpreter, which the distroless image does not have, so servers run as `python -m NAME`.
 */
import { flagOf, joinPath } from '../dockerfile/parse.ts';
import { splitImage } from '../oci/docker-ref.ts';
import { addStep, debianBuilder, findCommands, versionFromImages } from './common.ts';
import { pythonArgs } from './command.ts';
import { emptyPlan, type Analysis, type Plan, type Strategy } from './types.ts';

export const DEPS_DIR = '/opt/pydeps';

function tool(a: Analysis): string {
  if (a.ctx.has('uv.lock') || findCommands(a, (v) => v[0] === 'uv').length) return 'uv';
  if (a.ctx.has('poetry.lock') || findCommands(a, (v) => v[0] === 'poetry').length) return 'poetry';
  if (a.ctx.has('Pipfile') || findCommands(a, (v) => v[0] === 'pipenv').length) return 'pipenv';
  return 'pip';
}

/** The arguments of a `pip install` to repeat with --target, or null when it installs only tooling. */
function pipInstallArgs(argv: string[]): string[] | null {
  let v = argv;
  if (/^python/.test(v[0] ?? '') && v[1] === '-m' && v[2]?.startsWith('pip')) v = ['pip', ...v.slice(3)];
  if (!/^pip3?(\.\d+)?$/.test((v[0] ?? '').split('/').pop() ?? '') || v[1] !== 'install') return null;
  const out: string[] = [];
  for (let i = 2; i < v.length; i++) {
    const x = v[i]!;
    if (['--user', '--no-cache-dir', '--upgrade', '-U', '--break-system-packages', '--system', '-q', '--quiet', '--no-warn-script-location'].includes(x)) continue;
    if (x === '--target' || x === '-t' || x === '--prefix' || x === '--root') {
      i++;
      continue;
    }
    if (x === '-e' || x === '--editable') continue;
    out.push(x);
  }
  const pkgs = out.filter((x) => !x.startsWith('-'));
  if (pkgs.length && pkgs.every((p) => /^(pip|setuptools|wheel|poetry|uv|pipenv|virtualenv)([<>=!~].*)?$/.test(p)) && !out.includes('-r')) return null;
  return out.length ? out : null;
}

/** The python3 of a Debian/Ubuntu release a stage installs it on with apt (their default python3). */
const DISTRO_PYTHON: Record<string, string> = {
  'debian:11': '3.9', 'debian:bullseye': '3.9', 'debian:12': '3.11', 'debian:bookworm': '3.11', 'debian:13': '3.13', 'debian:trixie': '3.13',
  'ubuntu:20.04': '3.8', 'ubuntu:focal': '3.8', 'ubuntu:22.04': '3.10', 'ubuntu:jammy': '3.10', 'ubuntu:24.04': '3.12', 'ubuntu:noble': '3.12',
};

function distroPython(a: Analysis): string | undefined {
  for (const st of [...a.file.stages].reverse()) {
    const { name, tag } = splitImage(st.baseImage);
    const key = `${name.split('/').pop()}:${(tag ?? '').replace(/-slim$/, '').replace(/^(\d+)\..*$/, (m, major) => (name.endsWith('debian') ? major : m))}`;
    const aptPython = st.instructions.some((i) => i.keyword === 'RUN' && /\bpython3(-pip|-venv|-dev)?\b/.test(i.args));
    if (aptPython && DISTRO_PYTHON[key]) return DISTRO_PYTHON[key];
  }
  return undefined;
}

export const pythonStrategy: Strategy = {
  language: 'python',
  plan(a: Analysis, mode): Plan {
    const t = tool(a);
    const plan = emptyPlan(t, 'python3');
    plan.version = versionFromImages(a, /(^|\/)python$/, /^(\d+\.\d+)/) ?? a.vars.PYTHON_VERSION?.match(/^(\d+\.\d+)/)?.[1] ?? distroPython(a);
    if (a.command) {
      const r = pythonArgs(a.command.argv);
      if (r.problem) plan.warnings.push(r.problem);
      if (r.note) plan.changes.push({ kind: 'cmd', reason: r.note });
      if (r.args) plan.run = { kind: 'interp', args: r.args };
    } else plan.warnings.push('no CMD or ENTRYPOINT: the runtime would start a python REPL');
    for (const st of a.file.stages) {
      if (/(^|\/)python$/.test(splitImage(st.baseImage).name)) {
        debianBuilder(a, st, plan, (tag) => {
          const b = tag.replace(/-?alpine[\d.]*$/, '');
          return b ? `${b}-slim-bookworm` : 'slim-bookworm';
        });
      }
    }
    if (mode === 'rebase') {
      if (a.vars.PYTHONPATH === undefined) {
        // A venv or site-packages copied from a builder: put its packages on the path.
        for (const i of a.final.instructions) {
          if (i.keyword !== 'COPY' || !flagOf(i, 'from')) continue;
          const words = i.exec ?? i.args.split(/\s+/);
          const last = words[words.length - 1];
          if (last === undefined) continue; // an empty exec-form COPY copies nothing
          const dst = joinPath(i.workdir, last);
          if (/site-packages|dist-packages/.test(dst)) {
            plan.env.push({ key: 'PYTHONPATH', value: dst, reason: 'the copied packages must be importable by the runtime interpreter' });
            break;
          }
          if (/venv/.test(dst)) {
            const v = plan.version;
            if (!v) plan.warnings.push(`cannot tell the Python version of the venv copied to ${dst}; set PYTHONPATH=${dst}/lib/python3.X/site-packages`);
            else plan.env.push({ key: 'PYTHONPATH', value: `${dst}/lib/python${v}/site-packages`, reason: `the venv's python symlink points at the builder's interpreter; its packages are used through PYTHONPATH instead` });
            break;
          }
        }
      }
      return plan;
    }
    const w = a.workdir;
    let step: string | null = null;
    if (t === 'poetry') step = `poetry export --without dev --without-hashes -f requirements.txt -o /tmp/requirements.txt && pip install --no-cache-dir --target ${DEPS_DIR} -r /tmp/requirements.txt`;
    else if (t === 'uv') step = `uv export --frozen --no-dev --no-hashes --no-emit-project -o /tmp/requirements.txt && uv pip install --no-cache --target ${DEPS_DIR} -r /tmp/requirements.txt`;
    else if (t === 'pipenv') step = `pipenv requirements > /tmp/requirements.txt && pip install --no-cache-dir --target ${DEPS_DIR} -r /tmp/requirements.txt`;
    else {
      const installs: string[] = [];
      for (const r of a.runs) for (const c of r.cmds) {
        let args = pipInstallArgs(c.argv);
        // The repeated install runs at the end of the stage: paths relative to another WORKDIR are made absolute.
        if (args && r.instr.workdir !== a.workdir) args = args.map((x, i) => (/^(-r|--requirement|-c|--constraint)$/.test(args![i - 1] ?? '') || x === '.' || x.startsWith('./') ? joinPath(r.instr.workdir, x) : x));
        if (args) installs.push(`pip install --no-cache-dir --target ${DEPS_DIR} ${args.join(' ')}`);
      }
      if (!installs.length && a.ctx.has('requirements.txt')) installs.push(`pip install --no-cache-dir --target ${DEPS_DIR} -r requirements.txt`);
      if (installs.length) step = installs.join(' && ');
    }
    if (step) {
      addStep(plan, a, `RUN ${step}`, `runtime dependencies (no dev groups) installed into ${DEPS_DIR} with --target, so they can be copied without the builder's interpreter, pip or build tools (${t})`);
      plan.copies.push({ src: DEPS_DIR, dst: DEPS_DIR, reason: 'the installed dependencies' });
      if (a.vars.PYTHONPATH === undefined) plan.env.push({ key: 'PYTHONPATH', value: DEPS_DIR, reason: 'the runtime interpreter imports the dependencies from there' });
      if (t === 'poetry') plan.changes.push({ kind: 'note', reason: 'Poetry 2 needs the export plugin (poetry self add poetry-plugin-export) for `poetry export`' });
    }
    plan.copies.unshift({ src: w, dst: w, reason: 'the application source' });
    if (a.vars.PYTHONUNBUFFERED === undefined) plan.env.push({ key: 'PYTHONUNBUFFERED', value: '1', reason: 'logs reach the container runtime at once' });
    return plan;
  },
};
