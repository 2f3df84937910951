/**
 * `npm run bench`: runs every benchmark in bench/ that exports a `run*Bench()` function, each
 * measuring distill against a peer in the same run and printing the ratio. `npm run bench -- NAME`
 * runs only the benchmarks whose file name contains NAME.
 */
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

// The CLI runs from dist/ only while it is newer than src/ (bin/distill.js); build it first so no
// benchmark times tsx compiling the sources on every start.
if (!process.env.DISTILL_FROM_SOURCE) {
  console.log('building dist/ (npm run build) so the CLI starts from compiled code…');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: join(here, '..'), stdio: 'inherit' });
}

let failed = 0;
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as Record<string, unknown>;
  const fns = Object.entries(mod).filter(([k, v]) => /^run\w*Bench$/.test(k) && typeof v === 'function');
  for (const [name, fn] of fns) {
    console.log(`\n=== ${f}: ${name} ===`);
    const t0 = performance.now();
    try {
      await (fn as () => Promise<unknown>)();
    } catch (e) {
      failed++;
      console.error(`${name} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    console.log(`(${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}
process.exit(failed ? 1 : 0);
