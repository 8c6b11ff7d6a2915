import { createServer } from 'node:net';

/**
 * A TCP port that is free on `host` right now: the kernel picks it (port 0) and it is released
 * at once. Another process may still take it before the instance binds; the instance then fails
 * with "port in use" and the start reports it.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
