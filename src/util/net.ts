/** Loopback helpers shared by the commands that publish or probe a port. */
import { createServer, type AddressInfo } from 'node:net';

/**
 * A loopback port nobody listens on right now (the kernel picks it). Another process may take it
 * before the caller binds it; callers that publish it retry or fail with a clear error.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    // Never the reason a process stays alive.
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
