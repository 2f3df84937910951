/**
 * Node.js: npm, yarn or pnpm; plain servers and build-step apps (Next.js standalone output).
 * The runtime is the nodejs distroless image, whose ENTRYPOINT is node itself, so CMD holds
 * only the script and its arguments; `npm start` is resolved to the script package.json names.
 */
import { readJson } from './context.ts';
import { runCommands, stageChain } from '../dockerfile/parse.ts';
import type { Stage } from '../dockerfile/model.ts';
import { addStep, debianBuilder, findCommands, versionFromImages } from './common.ts';
import { nodeArgs } from './command.ts';
import { emptyPlan, type Analysis, type Plan, type Strategy } from './types.ts';

type PM = 'npm' | 'yarn' | 'pnpm';

function packageManager(a: Analysis): PM {
  if (a.ctx.has('pnpm-lock.yaml') || findCommands(a, (v) => v[0] === 'pnpm').length) return 'pnpm';
  if (a.ctx.has('yarn.lock') || findCommands(a, (v) => v[0] === 'yarn').length) return 'yarn';
  return 'npm';
}

/**
 * True when the final stage (with the stages it is built FROM) installs dependencies and the
 * last install keeps dev dependencies or a build follows it: they must be pruned.
 */
function needsPrune(a: Analysis): boolean {
  let installed = false;
  let prod = false;
  let builtAfter = false;
  const chain = new Set<Stage>();
  for (let st: Stage | null = a.final; st; st = st.parent) chain.add(st);
  for (const { stage, instr, cmd: c } of a.commands) {
    if (!chain.has(stage)) continue;
    const v = c.argv;
    const s = v.join(' ');
    const isInstall = (v[0] === 'npm' && (v[1] === 'ci' || v[1] === 'install' || v[1] === 'i' || v[1] === 'prune')) || (v[0] === 'yarn' && (v[1] === 'install' || v.length === 1)) || (v[0] === 'pnpm' && (v[1] === 'install' || v[1] === 'i' || v[1] === 'prune'));
    if (isInstall) {
      installed = true;
      prod = /--omit=dev|--only=prod|--production|--prod\b|\s-P\b/.test(s) || instr.vars.NODE_ENV === 'production' || c.env.NODE_ENV === 'production';
      builtAfter = false;
    } else if ((v[0] === 'npm' || v[0] === 'pnpm' || v[0] === 'yarn') && v.includes('build')) builtAfter = true;
  }
  return installed && (!prod || builtAfter);
}

function isNext(a: Analysis, pkg: any): boolean {
  if (findCommands(a, (v) => v.join(' ').includes('next build')).length) return true;
  const build = pkg?.scripts?.build;
  return typeof build === 'string' && build.includes('next build');
}

/** True when `next build` runs in the final stage or a stage it is built FROM (not only in a stage it copies from). */
function nextBuildInChain(a: Analysis, pkg: any): boolean {
  const chain = new Set(stageChain(a.final));
  const build = typeof pkg?.scripts?.build === 'string' && pkg.scripts.build.includes('next build');
  return a.commands.some(({ stage, cmd }) => chain.has(stage) && (cmd.argv.join(' ').includes('next build') || (build && /^(npm|yarn|pnpm)$/.test(cmd.argv[0] ?? '') && cmd.argv.includes('build'))));
}

const PRUNE: Record<PM, string> = {
  npm: 'npm prune --omit=dev',
  yarn: 'yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline',
  pnpm: 'pnpm prune --prod',
};

export const nodeStrategy: Strategy = {
  language: 'node',
  plan(a: Analysis, mode): Plan {
    const pm = packageManager(a);
    const plan = emptyPlan(pm, 'nodejs');
    plan.version = versionFromImages(a, /(^|\/)node$/, /^(\d+)/) ?? a.vars.NODE_VERSION?.match(/^(\d+)/)?.[1];
    const pkg = readJson(a.ctx, 'package.json');
    const next = isNext(a, pkg);
    if (next) plan.buildTool = `${pm} (Next.js)`;
    if (a.command) {
      const r = nodeArgs(a.command.argv, pkg, next);
      if (r.problem) plan.warnings.push(r.problem);
      if (r.problem && r.shell) plan.runProblem = { cls: 'needs-shell', reason: r.problem };
      if (r.note) plan.changes.push({ kind: 'cmd', reason: r.note });
      if (r.args) plan.run = { kind: 'interp', args: r.args };
    } else {
      plan.warnings.push('no CMD or ENTRYPOINT: the runtime would start a node REPL; add CMD ["server.js"]');
    }
    for (const st of a.file.stages) if (st === a.final || st.instructions.some((i) => i.keyword === 'RUN' && runCommands(i).some((c) => /^(npm|yarn|pnpm)$/.test(c.argv[0] ?? '')))) debianBuilder(a, st, plan, mode);
    if (mode === 'rebase') return plan;
    const w = a.workdir;
    // A runner stage that only copies the standalone output from another stage already holds it at WORKDIR.
    const builtHere = next && nextBuildInChain(a, pkg);
    if (next && !builtHere && a.vars.HOSTNAME === undefined) plan.env.push({ key: 'HOSTNAME', value: '0.0.0.0', reason: 'the standalone server binds to $HOSTNAME, which container runtimes set to the container id' });
    if (builtHere) {
      plan.copies.push({ src: `${w}/.next/standalone`, dst: w, reason: 'Next.js standalone output: server.js plus only the node_modules it traces' });
      plan.copies.push({ src: `${w}/.next/static`, dst: `${w}/.next/static`, reason: 'static assets are not part of the standalone folder' });
      if (a.ctx.files().some((f) => f.startsWith('public/'))) plan.copies.push({ src: `${w}/public`, dst: `${w}/public`, reason: 'public assets are not part of the standalone folder' });
      const cfg = ['next.config.js', 'next.config.mjs', 'next.config.ts'].map((f) => a.ctx.read(f)).find((t) => t !== undefined);
      if (cfg !== undefined && !/standalone/.test(cfg)) plan.warnings.push('next.config does not set output: "standalone"; .next/standalone will not exist');
      if (cfg === undefined) plan.changes.push({ kind: 'note', reason: 'Next.js must build with output: "standalone" in next.config for .next/standalone to exist' });
      if (plan.run && plan.run.kind === 'interp' && plan.run.args[0] !== 'server.js') plan.run = { kind: 'interp', args: ['server.js'] };
      if (a.vars.HOSTNAME === undefined) plan.env.push({ key: 'HOSTNAME', value: '0.0.0.0', reason: 'the standalone server binds to $HOSTNAME, which container runtimes set to the container id' });
    } else {
      // Yarn 2+ (a .yarnrc.yml, or packageManager yarn@2+) has no `install --production`.
      const berry = pm === 'yarn' && (a.ctx.has('.yarnrc.yml') || /^yarn@[2-9]/.test(String(pkg?.packageManager ?? '')));
      const prune = berry ? 'yarn workspaces focus --all --production' : PRUNE[pm];
      if (needsPrune(a)) addStep(plan, a, `RUN ${prune}`, `dev dependencies pruned so only production node_modules reach the runtime (${berry ? 'yarn berry' : pm})`);
      plan.copies.push({ src: w, dst: w, reason: 'the app directory with its production node_modules' });
    }
    if (a.vars.NODE_ENV === undefined) plan.env.push({ key: 'NODE_ENV', value: 'production', reason: 'libraries such as express skip dev-only work in production' });
    return plan;
  },
};
