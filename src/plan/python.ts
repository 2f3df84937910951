/**
 * Python: pip requirements, Poetry, uv, Pipenv; gunicorn/uvicorn and other console scripts.
 * Dependencies are installed a second time with `--target` into one directory that the
 * runtime puts on PYTHONPATH: console-script shebangs and venv symlinks point at the builder's
 * interpreter, which the distroless image does not have, so servers run as `python -m NAME`.
 */
import { flagOf, joinPath, runCommands, stageChain } from '../dockerfile/parse.ts';
import type { Stage } from '../dockerfile/model.ts';
import { flagValue } from '../dockerfile/shell.ts';
import { splitImage } from '../oci/docker-ref.ts';
import { addStep, copyWords, debianBuilder, findCommands, versionFromImages } from './common.ts';
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

/** How a builder stage installed the packages at `path`: pip --target, --prefix, --user, or a venv. */
function installAt(stage: Stage, path: string): 'target' | 'prefix' | 'user' | 'venv' | null {
  for (const st of stageChain(stage)) {
    for (const i of st.instructions) {
      if (i.keyword !== 'RUN') continue;
      for (const c of runCommands(i)) {
        const v = c.argv;
        const at = (p: string | undefined) => p !== undefined && joinPath(i.workdir, p) === path;
        if ((/^python/.test(v[0] ?? '') && v[1] === '-m' && (v[2] === 'venv' || v[2] === 'virtualenv') && at(v.filter((x) => !x.startsWith('-')).pop())) || (v[0] === 'virtualenv' && at(v[v.length - 1])) || (v[0] === 'uv' && v[1] === 'venv' && at(v.slice(2).find((x) => !x.startsWith('-')) ?? '.venv'))) return 'venv';
        const pip = /^pip3?(\.\d+)?$/.test((v[0] ?? '').split('/').pop() ?? '') || (/^python/.test(v[0] ?? '') && v[1] === '-m' && v[2] === 'pip');
        if (!pip) continue;
        if (at(flagValue(v, '--target', '-t'))) return 'target';
        if (at(flagValue(v, '--prefix'))) return 'prefix';
        if (v.includes('--user') && path === `${i.vars.HOME ?? '/root'}/.local`) return 'user';
      }
    }
  }
  return null;
}

/** Where a directory copied under /root goes instead: /root is 0700 in the distroless images, so the runtime user could not read it. */
const USER_SITE = '/opt/python-user';

/**
 * Rebase mode: packages copied from a builder stage reach the runtime interpreter. A `--target`
 * dir goes on PYTHONPATH as it is; a `--prefix` dir, a venv or a `--user` install (moved out of
 * /root) by its `lib/pythonX.Y/site-packages`; the distroless python does not read the
 * builder's site layout (Debian's python looks in dist-packages) or a venv's interpreter link.
 */
function copiedPackages(a: Analysis, plan: Plan): void {
  const paths: string[] = [];
  for (const i of a.final.instructions) {
    const from = i.keyword === 'COPY' ? flagOf(i, 'from') : undefined;
    if (from === undefined) continue;
    const words = copyWords(i);
    const last = words[words.length - 1];
    if (last === undefined || words.length !== 2) continue;
    let dst = joinPath(i.workdir, last);
    const stage = a.file.stages.find((s) => s.alias?.toLowerCase() === from.toLowerCase() || String(s.index) === from);
    const src = stage ? joinPath(stage.endWorkdir, words[0]!) : words[0]!;
    const kind = stage ? installAt(stage, src) : null;
    if (kind === 'target' || /(site|dist)-packages\/?$/.test(dst)) {
      paths.push(dst);
      continue;
    }
    if (!kind && !/venv/.test(dst)) continue;
    if (dst === '/root' || dst.startsWith('/root/')) {
      const to = USER_SITE + dst.slice(dst.startsWith('/root/.local') ? '/root/.local'.length : '/root'.length);
      plan.edits.push({ kind: 'replace', instr: i, text: i.raw.replace(new RegExp(`${last.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`), to) });
      plan.changes.push({ line: i.line, kind: 'copy', reason: `${dst} -> ${to}: /root is readable only by root in the distroless images, and the image runs as a non-root user` });
      dst = to;
    }
    const v = plan.version;
    if (!v) {
      plan.warnings.push(`cannot tell the Python version of the packages copied to ${dst}; set PYTHONPATH=${dst}/lib/python3.X/site-packages`);
      continue;
    }
    paths.push(`${dst}/lib/python${v}/site-packages`);
  }
  if (paths.length) plan.env.push({ key: 'PYTHONPATH', value: paths.join(':'), reason: `the packages copied from the builder (${paths.join(', ')}) must be importable by the runtime interpreter, which does not use the builder's site layout or a venv's interpreter link` });
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
        debianBuilder(a, st, plan, mode);
      }
    }
    if (mode === 'rebase') {
      // An already-distroless final stage runs as its author set it up; otherwise packages copied from a builder go on the path.
      if (a.vars.PYTHONPATH === undefined && !a.finalIsDistroless) copiedPackages(a, plan);
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
