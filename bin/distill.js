#!/usr/bin/env node
// Runs the compiled CLI when `npm run build` has produced dist/, else the TypeScript sources via tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
let runCli;
if (existsSync(built) && !process.env.DISTILL_FROM_SOURCE) {
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
