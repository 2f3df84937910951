/**
 * Tests talk to loopback only. Loaded before every test file (`--import` in package.json's test
 * scripts), this module patches the connection and name-lookup entry points of node:net, node:tls
 * and node:dns: a connection to, or a lookup of, any host that is not loopback (127.0.0.0/8, ::1,
 * localhost, this machine's own interface addresses) fails like an unreachable network, is printed on stderr, and makes the test process
 * exit 1, so the test file fails even if the code under test swallowed the error. Unix sockets
 * and loopback servers (registries, OSV exports, verify probes) are untouched; child processes
 * are not patched (podman, npm and the CLI under test run as they would for a user) unless a
 * test passes `GUARD_NODE_OPTIONS` in their NODE_OPTIONS. Names under `.invalid` (RFC 6761: never
 * resolvable) fail with ENOTFOUND at once, without asking a resolver and without counting as an
 * attempt, so tests of "unknown host" errors keep working offline.
 *
 * It also sets `DISTILL_OFFLINE=1` unless the environment already says otherwise, so commands
 * that would fetch the public OSV export by default (scan, compare, harden) stay offline in tests
 * that do not point `DISTILL_OSV_URL` at a loopback server of their own (and set DISTILL_OFFLINE='').
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

/** NODE_OPTIONS that put the guard into a spawned node process (which must have tsx available). */
export const GUARD_NODE_OPTIONS = `--import tsx --import ${JSON.stringify(fileURLToPath(import.meta.url))}`;

/** Attempts refused so far in this process. */
export const violations: string[] = [];

/**
 * The addresses of this machine's own interfaces. A packet to one of them never leaves the
 * machine (the kernel delivers it over loopback), so a test may bind or dial them: one does, to
 * show that plain http to a non-loopback address needs --insecure.
 */
const ownAddresses = new Set(
  Object.values(os.networkInterfaces())
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => i !== undefined)
    .map((i) => i.address.toLowerCase()),
);

/** Whether `host` names this machine: loopback, or an address of one of its own interfaces. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (ownAddresses.has(h)) return true;
  if (net.isIPv4(h)) return h.startsWith('127.') || h === '0.0.0.0';
  if (net.isIPv6(h)) return h === '::1' || h === '::' || /^(0+:){7}0*1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/** Whether `host` is under `.invalid`, which RFC 6761 reserves as never resolving. */
function isInvalidName(host: string): boolean {
  return /(^|\.)invalid\.?$/i.test(host);
}

function notFound(host: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException & { hostname?: string } = new Error(`getaddrinfo ENOTFOUND ${host}`);
  err.code = 'ENOTFOUND';
  err.syscall = 'getaddrinfo';
  err.hostname = host;
  return err;
}

function refuse(what: string): NodeJS.ErrnoException {
  const msg = `network guard: a test tried to reach ${what}; tests talk to loopback only`;
  violations.push(msg);
  process.stderr.write(`${msg}\n`);
  process.exitCode = 1;
  const err: NodeJS.ErrnoException = new Error(msg);
  err.code = 'ENETUNREACH';
  return err;
}

/** The host a `Socket#connect` call dials, or undefined for a unix socket / named pipe. */
function targetOf(args: unknown[]): { host: string; port: unknown } | undefined {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // already-normalised arguments (net.connect)
  if (typeof first === 'object' && first !== null) {
    const o = first as { path?: string; host?: string; port?: unknown };
    if (o.path !== undefined) return undefined;
    return { host: o.host ?? 'localhost', port: o.port };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
  }
  return undefined; // a path
}

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
const originalConnect = net.Socket.prototype.connect as unknown as Connect;
(net.Socket.prototype as unknown as { connect: Connect }).connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
  const t = targetOf(args);
  if (t && !isLoopbackHost(t.host)) {
    const err = isInvalidName(t.host) ? notFound(t.host) : refuse(`${t.host}:${String(t.port)}`);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return originalConnect.apply(this, args);
};

const originalTlsConnect = tls.connect;
(tls as { connect: unknown }).connect = function guardedTlsConnect(...args: unknown[]) {
  const o = (typeof args[0] === 'object' && args[0] !== null ? args[0] : typeof args[1] === 'object' && args[1] !== null ? args[1] : {}) as { host?: string; socket?: unknown; path?: string };
  const host = typeof args[1] === 'string' ? args[1] : o.host;
  if (!o.socket && !o.path && host && !isLoopbackHost(host) && !isInvalidName(host)) throw refuse(`${host} (TLS)`);
  return (originalTlsConnect as (...a: unknown[]) => tls.TLSSocket)(...args);
};

type Lookup = (hostname: string, ...rest: unknown[]) => unknown;
const originalLookup = dns.lookup as unknown as Lookup;
(dns as unknown as { lookup: Lookup }).lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
  if (!isLoopbackHost(hostname)) {
    const cb = rest.findLast((x) => typeof x === 'function') as ((e: Error) => void) | undefined;
    const err = isInvalidName(hostname) ? notFound(hostname) : refuse(`${hostname} (DNS lookup)`);
    if (cb) process.nextTick(() => cb(err));
    return {};
  }
  return originalLookup(hostname, ...rest);
};

const originalPromisesLookup = dns.promises.lookup as unknown as (hostname: string, ...rest: unknown[]) => Promise<unknown>;
(dns.promises as unknown as { lookup: unknown }).lookup = async function guardedPromisesLookup(hostname: string, ...rest: unknown[]) {
  if (!isLoopbackHost(hostname)) throw isInvalidName(hostname) ? notFound(hostname) : refuse(`${hostname} (DNS lookup)`);
  return originalPromisesLookup(hostname, ...rest);
};

// `import { lookup } from 'node:dns'` reads the ESM bindings, which follow the patched object only once synced.
syncBuiltinESMExports();

// The harness may set the exit code when it finishes; a refused attempt still fails the file.
process.on('exit', () => {
  if (violations.length) process.exitCode = 1;
});

if (process.env.DISTILL_OFFLINE === undefined) process.env.DISTILL_OFFLINE = '1';
