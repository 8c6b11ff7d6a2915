import { request } from 'node:http';
import { statusMatches } from '../../domain/health-status.ts';

export type ProbeResult =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly reason: string };

/** One health probe: GET http://host:port/path; healthy on an answer that meets `expect` (default 2xx/3xx) within `timeoutMs`. */
export function probe(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
  expect?: number | string,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(
        statusMatches(status, expect) ? { ok: true, status } : { ok: false, reason: `answered ${status}` },
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs}ms`)));
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ ok: false, reason: error.code ?? error.message }),
    );
    req.end();
  });
}
