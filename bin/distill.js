#!/usr/bin/env node
// Runs the compiled CLI when `npm run build` has produced an up-to-date dist/ (fast start), else
// the TypeScript sources via tsx, so a stale build never runs code older than the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const useBuilt =
  !process.env.DISTILL_FROM_SOURCE &&
  existsSync(built) &&
  (!existsSync(join(root, 'src')) || newestMtime(join(root, 'src')) <= statSync(built).mtimeMs);
let runCli;
if (useBuilt) {
  ({ runCli } = await import(pathToFileURL(built).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href));
}
const code = await runCli(process.argv.slice(2));
// Exit only once stdout and stderr have drained: a large --json written to a pipe would otherwise
// be cut at the pipe's buffer size.
let pending = 2;
const done = () => --pending === 0 && process.exit(code);
process.stdout.write('', done);
process.stderr.write('', done);
