/** DL1073: the final stage installs development dependencies (npm/yarn/pnpm/pip/poetry). */
import { runs, type RawFinding, type Rule } from './rule.ts';

function production(stageEnv: string): boolean {
  return /NODE_ENV[= ]+["']?production/i.test(stageEnv);
}

// yarn options that take the next word as their value, and options that only print and exit.
const YARN_VALUED = new Set(['--cwd', '--modules-folder', '--cache-folder', '--network-timeout', '--mutex', '--registry']);
const YARN_INFO = new Set(['--version', '-v', '--help', '-h']);

/** True when yarn's arguments run an install: bare `yarn`, `yarn install`, or options only (not `--version`). */
function yarnInstalls(args: string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (YARN_INFO.has(a)) return false;
    if (YARN_VALUED.has(a)) i++;
    else if (!a.startsWith('-')) return a === 'install';
  }
  return true;
}

export const rule: Rule = {
  id: 'DL1073',
  name: 'dev-dependencies-in-final',
  severity: 'warning',
  description: 'The final stage installs development dependencies.',
  fix: 'Install runtime dependencies only (`npm ci --omit=dev`, `poetry install --only main`), or prune them before the final stage.',
  check(ctx) {
    const f = ctx.final;
    if (!f) return [];
    const out: RawFinding[] = [];
    const chain = ctx.chain(f);
    const env = chain.flatMap((s) => s.instructions).filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG').map((i) => i.args).join('\n');
    const prodEnv = production(env);
    for (const stage of chain) {
      for (const r of runs(stage)) {
        const pruned = /\bnpm\s+prune\s+(--production|--omit[= ]dev)|\byarn\s+install\s+.*--production|\bpnpm\s+prune\s+--prod/.test(r.text);
        for (const c of r.cmds) {
          const w = c.words;
          const tool = w.findIndex((x) => ['npm', 'yarn', 'pnpm', 'pip', 'pip3', 'poetry', 'pipenv', 'uv'].includes(x));
          if (tool < 0) continue;
          const t = w[tool];
          const sub = w[tool + 1] ?? '';
          const args = w.slice(tool + 2);
          let dev = false;
          if (t === 'npm' && ['ci', 'install', 'i'].includes(sub) && args.every((a) => a.startsWith('-'))) {
            dev = !prodEnv && !pruned && !args.some((a) => /^--(omit=dev|production|only=prod(uction)?)$/.test(a) || a === '--omit');
          } else if (t === 'yarn' && yarnInstalls(w.slice(tool + 1))) {
            dev = !prodEnv && !pruned && !w.some((a) => a === '--production' || a === '--prod');
          } else if (t === 'pnpm' && sub === 'install') {
            dev = !prodEnv && !pruned && !args.some((a) => a === '--prod' || a === '-P' || a === '--production');
          } else if ((t === 'pip' || t === 'pip3' || t === 'uv') && w.includes('install')) {
            dev = w.some((a) => /requirements[-_.]?(dev|test|tests|ci|lint)\S*\.txt$/i.test(a) || /\[(dev|test|tests)\]/.test(a));
          } else if (t === 'poetry' && sub === 'install') {
            dev = !args.some((a) => /^--(no-dev|only|without)/.test(a) || a === '--only=main');
          } else if (t === 'pipenv' && sub === 'install') {
            dev = args.includes('--dev') || args.includes('-d');
          }
          if (dev) {
            out.push({ line: r.ins.line, message: `${t} ${sub} in the final image installs development dependencies` });
            break;
          }
        }
      }
    }
    return out;
  },
};
