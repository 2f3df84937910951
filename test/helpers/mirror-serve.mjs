/**
 * The replay mirror in a process of its own (started by the network guard): a test that blocks its
 * own event loop (execFileSync of npm, say) must not block the server that npm is talking to.
 * Prints its URL on the first line of stdout; exits when stdin closes (its parent is gone),
 * listing on stderr what was asked for and not recorded.
 */
import { startMirror } from './mirror.mjs';

const mirror = await startMirror({ dir: process.argv[2] });
process.stdout.write(`${mirror.url}\n`);
process.stdin.on('end', () => {
  const missing = [...new Set(mirror.missing)];
  if (missing.length) process.stderr.write(`mirror: asked for what setup did not record (add it to scripts/prepare-test-images.ts):\n${missing.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(0);
});
process.stdin.resume();
