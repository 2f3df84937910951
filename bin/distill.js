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
process.exit(await runCli(process.argv.slice(2)));
