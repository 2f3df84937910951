/**
 * The TCP ports a running container's process listens on, read from the host's
 * /proc/<pid>/net/tcp and tcp6 (they show the sockets of that process's network namespace), so no
 * tool is needed inside a distroless image. Compared with the image's EXPOSE, it catches the image
 * that declares 8080 while the app listens on 5000.
 */
import { readFileSync } from 'node:fs';
import type { VerifyCheck } from './verify.ts';

/** TCP state 0A in /proc/net/tcp is LISTEN. */
const LISTEN = '0A';

/** Listening ports in one /proc/net/tcp(6) table, sorted and unique. */
export function parseProcNetTcp(text: string): number[] {
  const ports = new Set<number>();
  for (const line of text.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    const port = local ? Number.parseInt(local.split(':')[1] ?? '', 16) : NaN;
    if (state === LISTEN && Number.isInteger(port) && port > 0) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** The ports process `pid` can be seen listening on; undefined when /proc cannot be read (another host, gone). */
export function listeningPorts(pid: number): number[] | undefined {
  const tables: string[] = [];
  for (const t of ['tcp', 'tcp6']) {
    try {
      tables.push(readFileSync(`/proc/${pid}/net/${t}`, 'utf8'));
    } catch {
      // tcp6 is absent on hosts without IPv6; tcp alone still answers.
    }
  }
  if (!tables.length) return undefined;
  return [...new Set(tables.flatMap(parseProcNetTcp))].sort((a, b) => a - b);
}

/** The TCP port numbers of an image config's ExposedPorts (`8080/tcp`, `8080`); UDP ones are not listened for. */
export function exposedTcp(exposed: Record<string, unknown> | undefined): number[] {
  return Object.keys(exposed ?? {})
    .filter((k) => !/\/(udp|sctp)$/i.test(k))
    .map((k) => Number.parseInt(k, 10))
    .filter((n) => Number.isInteger(n))
    .sort((a, b) => a - b);
}

/**
 * The `ports` check: pass when an EXPOSEd port is listened on (or nothing is exposed), fail when
 * the image exposes ports the process does not listen on while it listens on others, unknown
 * when nothing was seen listening (a one-shot, a slow start, or /proc not readable).
 */
export function portsCheck(exposed: number[], listening: number[] | undefined): VerifyCheck {
  const list = (p: number[]) => p.join(', ');
  if (listening === undefined) return { id: 'ports', status: 'unknown', reason: 'the process\'s sockets could not be read from /proc' };
  if (!listening.length) return { id: 'ports', status: 'unknown', reason: `nothing was seen listening on TCP${exposed.length ? ` (EXPOSE ${list(exposed)})` : ''}` };
  if (!exposed.length) return { id: 'ports', status: 'pass', reason: `listens on ${list(listening)}; the image EXPOSEs no port` };
  const served = exposed.filter((p) => listening.includes(p));
  if (served.length) return { id: 'ports', status: 'pass', reason: `listens on ${list(listening)} (EXPOSE ${list(exposed)})` };
  return { id: 'ports', status: 'fail', reason: `EXPOSE ${list(exposed)} but the process listens on ${list(listening)}` };
}
