/** The active health check every driver that runs its own checks uses: one HTTP GET. */
import { request } from 'node:http';
import { statusMatches } from '../domain/health-status.ts';

/**
 * How a backend answered its health check: up (meets `expect`, default 2xx/3xx); gone (the connection was refused or
 * reset: no process listens, or it just died); failing (it answered with an error status, or
 * did not answer in time).
 */
export type Probe = 'up' | 'gone' | 'failing';

const GONE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/** `GET path` within `timeoutMs`, classified; never rejects. */
export function httpProbe(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
  expect?: number | string,
): Promise<Probe> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', agent: false, timeout: timeoutMs });
    req.on('response', (res) => {
      res.resume();
      resolve(statusMatches(res.statusCode ?? 500, expect) ? 'up' : 'failing');
    });
    req.on('timeout', () => req.destroy(new Error('health check timed out')));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code !== undefined && GONE.has(err.code) ? 'gone' : 'failing'),
    );
    req.end();
  });
}

/** True when `GET path` answers 2xx or 3xx within `timeoutMs`; never rejects. */
export async function httpCheck(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
  expect?: number | string,
): Promise<boolean> {
  return (await httpProbe(host, port, path, timeoutMs, expect)) === 'up';
}
