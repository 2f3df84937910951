/**
 * Tests talk to loopback only. Loaded before every test file (`--import` in package.json's test
 * scripts), this module patches the connection and name-lookup entry points of node:net, node:tls
 * and node:dns: a connection to, or a lookup of, any host that is not this machine (127.0.0.0/8,
 * ::1, localhost, the machine's own interface addresses) fails like an unreachable network, is
 * printed on stderr, and makes the test process exit 1, so the test file fails even if the code
 * under test swallowed the error. Unix sockets and loopback servers (registries, OSV exports,
 * verify probes) are untouched. Names under `.invalid` (RFC 6761: never resolvable) fail with
 * ENOTFOUND at once, without asking a resolver and without counting as an attempt, so tests of
 * "unknown host" errors keep working offline.
 *
 * Node processes the tests start (the CLI under test, npm) are guarded too: the guard puts itself
 * in NODE_OPTIONS, which children inherit, and each guarded process hands the attempts refused in
 * it and in its own children up to its parent through a file named in DISTILL_TEST_GUARD_LOG, so
 * the test file fails when a child reached out, even if the test only looked at the exit status.
 * Other programs (podman, pip) are not node and are not patched; the containers podman starts have
 * their own network namespace.
 *
 * What the tests need from the Debian archive in this machine's apt sources and from npm's
 * registry is recorded at setup and replayed here on loopback (test/helpers/mirror.mjs).
 *
 * It also sets `DISTILL_OFFLINE=1` unless the environment already says otherwise, so commands
 * that would fetch the public OSV export by default (scan, compare, harden) stay offline in tests
 * that do not point `DISTILL_OSV_URL` at a loopback server of their own (and set DISTILL_OFFLINE='').
 *
 * With DISTILL_TEST_REAL_MIRROR=1 (the opt-in tests of the real Debian mirror) the guard is off.
 *
 * Plain JavaScript, not TypeScript, so that any node child can load it without a TypeScript loader.
 */
import dns from 'node:dns';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { hasNpmRecording, hasRecording, mirrorDir, writeMirrorAptDir } from './mirror.mjs';

/** NODE_OPTIONS that put the guard into a spawned node process. */
export const GUARD_NODE_OPTIONS = `--import=${JSON.stringify(import.meta.url)}`;

/** Attempts refused so far in this process. */
export const violations = [];

/**
 * The addresses of this machine's own interfaces. A packet to one of them never leaves the
 * machine (the kernel delivers it over loopback), so a test may bind or dial them: one does, to
 * show that plain http to a non-loopback address needs --insecure.
 */
const ownAddresses = new Set(
  Object.values(os.networkInterfaces())
    .flat()
    .filter((i) => i !== undefined)
    .map((i) => i.address.toLowerCase()),
);

/** Whether `host` names this machine: loopback, or an address of one of its own interfaces. */
export function isLoopbackHost(host) {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (ownAddresses.has(h)) return true;
  if (net.isIPv4(h)) return h.startsWith('127.') || h === '0.0.0.0';
  if (net.isIPv6(h)) return h === '::1' || h === '::' || /^(0+:){7}0*1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/** Whether `host` is under `.invalid`, which RFC 6761 reserves as never resolving. */
function isInvalidName(host) {
  return /(^|\.)invalid\.?$/i.test(host);
}

function notFound(host) {
  const err = new Error(`getaddrinfo ENOTFOUND ${host}`);
  return Object.assign(err, { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: host });
}

function refuse(what) {
  const msg = `network guard: a test tried to reach ${what}; tests talk to loopback only`;
  violations.push(`${msg} (pid ${process.pid}: ${process.argv.slice(1, 3).join(' ')})`);
  process.stderr.write(`${msg}\n`);
  process.exitCode = 1;
  return Object.assign(new Error(msg), { code: 'ENETUNREACH' });
}

/** The host a `Socket#connect` call dials, or undefined for a unix socket / named pipe. */
function targetOf(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // already-normalised arguments (net.connect)
  if (typeof first === 'object' && first !== null) {
    if (first.path !== undefined) return undefined;
    return { host: first.host ?? 'localhost', port: first.port };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
  }
  return undefined; // a path
}

function install() {
  const originalConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const t = targetOf(args);
    if (t && !isLoopbackHost(t.host)) {
      const err = isInvalidName(t.host) ? notFound(t.host) : refuse(`${t.host}:${String(t.port)}`);
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return originalConnect.apply(this, args);
  };

  const originalTlsConnect = tls.connect;
  tls.connect = function guardedTlsConnect(...args) {
    const o = typeof args[0] === 'object' && args[0] !== null ? args[0] : typeof args[1] === 'object' && args[1] !== null ? args[1] : {};
    const host = typeof args[1] === 'string' ? args[1] : o.host;
    if (!o.socket && !o.path && host && !isLoopbackHost(host) && !isInvalidName(host)) throw refuse(`${host} (TLS)`);
    return originalTlsConnect(...args);
  };

  const originalLookup = dns.lookup;
  dns.lookup = function guardedLookup(hostname, ...rest) {
    if (!isLoopbackHost(hostname)) {
      const cb = rest.findLast((x) => typeof x === 'function');
      const err = isInvalidName(hostname) ? notFound(hostname) : refuse(`${hostname} (DNS lookup)`);
      if (cb) process.nextTick(() => cb(err));
      return {};
    }
    return originalLookup(hostname, ...rest);
  };

  const originalPromisesLookup = dns.promises.lookup;
  dns.promises.lookup = async function guardedPromisesLookup(hostname, ...rest) {
    if (!isLoopbackHost(hostname)) throw isInvalidName(hostname) ? notFound(hostname) : refuse(`${hostname} (DNS lookup)`);
    return originalPromisesLookup(hostname, ...rest);
  };

  // `import { lookup } from 'node:dns'` reads the ESM bindings, which follow the patched object only once synced.
  syncBuiltinESMExports();
}

/**
 * Children inherit the guard through NODE_OPTIONS and report to this process through a log of
 * its own (`<dir>/<pid>.log`, one dir for the whole process tree, made by its top process and
 * removed by it); at exit, what they refused counts as this process's and goes on to its parent.
 */
function guardChildren() {
  const parentLog = process.env.DISTILL_TEST_GUARD_LOG;
  const top = !process.env.DISTILL_TEST_GUARD_DIR;
  if (top) process.env.DISTILL_TEST_GUARD_DIR = mkdtempSync(join(os.tmpdir(), 'distill-guard-'));
  const dir = process.env.DISTILL_TEST_GUARD_DIR;
  const log = join(dir, `${process.pid}.log`);
  process.env.DISTILL_TEST_GUARD_LOG = log;
  const opts = process.env.NODE_OPTIONS ?? '';
  if (!opts.includes(import.meta.url)) process.env.NODE_OPTIONS = `${opts} ${GUARD_NODE_OPTIONS}`.trim();
  process.on('exit', () => {
    let fromChildren = [];
    try {
      fromChildren = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    } catch {
      // no child refused anything
    }
    rmSync(top ? dir : log, { recursive: true, force: true });
    for (const line of fromChildren) process.stderr.write(`${line} (in a child process)\n`);
    const all = [...violations, ...fromChildren];
    if (!all.length) return;
    // The harness may set the exit code when it finishes; a refused attempt still fails the file.
    process.exitCode = 1;
    if (parentLog) {
      try {
        appendFileSync(parentLog, `${all.join('\n')}\n`);
      } catch {
        // the parent is gone; this process's own exit status still says so
      }
    }
  });
  return top;
}

/**
 * The Debian archive and npm registry, replayed on loopback from what setup recorded
 * (test/helpers/mirror.mjs): distill reads its apt sources from DISTILL_APT_DIR and npm's
 * registry from npm_config_registry, so every process of the test run uses the replay.
 */
async function replayMirror() {
  const dir = mirrorDir(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
  if (!hasRecording(dir)) {
    process.stderr.write('network guard: no recorded Debian/npm mirror in test-output/mirror (run `bash scripts/setup.sh --tests`): tests that read them will fail\n');
    return;
  }
  // In a process of its own: a test that blocks this one (execFileSync) must not block the server.
  const { NODE_OPTIONS: _opts, ...env } = process.env;
  const child = spawn(process.execPath, [fileURLToPath(new URL('./mirror-serve.mjs', import.meta.url)), dir], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const url = await new Promise((ok, fail) => {
    let text = '';
    child.stdout.on('data', (c) => {
      text += c;
      if (text.includes('\n')) ok(text.split('\n')[0]);
    });
    child.on('exit', (code) => fail(new Error(`the replay mirror exited ${code} before listening`)));
  });
  child.stdout.destroy();
  // Neither the server nor its pipe keeps this process alive; its stdin closes when this process ends.
  child.removeAllListeners('exit');
  child.stdin.unref();
  child.unref();
  if (!process.env.DISTILL_APT_DIR) process.env.DISTILL_APT_DIR = writeMirrorAptDir(url, join(process.env.DISTILL_TEST_GUARD_DIR, 'apt'));
  if (!process.env.npm_config_registry && hasNpmRecording(dir)) process.env.npm_config_registry = `${url}/npm/`;
}

const INSTALLED = Symbol.for('distill.test.network-guard');
if (process.env.DISTILL_TEST_REAL_MIRROR === '1') {
  if (!globalThis[INSTALLED]) process.stderr.write('network guard off: DISTILL_TEST_REAL_MIRROR=1 lets tests reach the real Debian mirror\n');
  globalThis[INSTALLED] = true;
} else if (!globalThis[INSTALLED]) {
  globalThis[INSTALLED] = true;
  install();
  if (guardChildren()) await replayMirror();
}

if (process.env.DISTILL_OFFLINE === undefined) process.env.DISTILL_OFFLINE = '1';
