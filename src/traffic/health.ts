/** The active health check every driver that runs its own checks uses: one HTTP GET. */
import { request } from 'node:http';

/** True when `GET path` answers 2xx or 3xx within `timeoutMs`; never rejects. */
export function httpCheck(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', agent: false, timeout: timeoutMs });
    req.on('response', (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    req.on('timeout', () => req.destroy(new Error('health check timed out')));
    req.on('error', () => resolve(false));
    req.end();
  });
}
