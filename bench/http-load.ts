/**
 * A closed-loop GET load over kept-alive node:http connections that tells refused connections
 * apart from other failures, for the agent-kill benchmarks and fault test. With `retryReused`
 * it behaves like browsers and Go's HTTP client (RFC 9110 §9.2.2): an idempotent request sent on
 * a reused kept-alive connection that closes before any response byte is sent again once, on a
 * new connection; a retried request is counted. Bounded: per-request timeout, request cap.
 */
import { Agent, request } from 'node:http';

export interface HttpSample {
  readonly start: number;
  readonly end: number;
  readonly status: number;
  /** Error code when no answer came (ECONNREFUSED, ECONNRESET, timeout…). */
  readonly error?: string;
  /** True when the request was sent a second time after its reused connection closed. */
  readonly retried: boolean;
}

export interface HttpLoad {
  stop(): Promise<HttpSample[]>;
}

function once(
  agent: Agent,
  url: URL,
  timeoutMs: number,
): Promise<{ status: number; reused: boolean; error?: string; answered: boolean }> {
  return new Promise((resolve) => {
    let answered = false;
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      answered = true;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, answered }));
      res.on('error', (e: NodeJS.ErrnoException) =>
        resolve({ status: 0, reused: req.reusedSocket, error: e.code ?? e.message, answered }),
      );
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ status: 0, reused: req.reusedSocket, error: e.code ?? e.message, answered }),
    );
    req.end();
  });
}

export function httpLoad(
  target: string,
  options: { concurrency?: number; gapMs?: number; timeoutMs?: number; retryReused?: boolean } = {},
): HttpLoad {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 8 });
  const samples: HttpSample[] = [];
  let stopped = false;
  let sent = 0;
  const worker = async () => {
    while (!stopped && sent < 500_000) {
      sent++;
      const start = performance.now();
      let result = await once(agent, url, options.timeoutMs ?? 10_000);
      let retried = false;
      if (options.retryReused && result.error && result.reused && !result.answered) {
        retried = true;
        result = await once(agent, url, options.timeoutMs ?? 10_000);
      }
      samples.push({
        start,
        end: performance.now(),
        status: result.status,
        ...(result.error ? { error: result.error } : {}),
        retried,
      });
      if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
    }
  };
  const running = Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return {
    async stop() {
      stopped = true;
      await running;
      agent.destroy();
      return samples;
    },
  };
}

/** Counts of a run: refused connections, other failures (no answer or 5xx), retried requests. */
export function tally(samples: readonly HttpSample[]): {
  total: number;
  refused: number;
  failed: number;
  retried: number;
  why: string;
} {
  const failed = samples.filter((s) => s.status === 0 || s.status >= 500);
  const counts = new Map<string, number>();
  for (const s of failed)
    counts.set(s.error ?? String(s.status), (counts.get(s.error ?? String(s.status)) ?? 0) + 1);
  return {
    total: samples.length,
    refused: failed.filter((s) => s.error === 'ECONNREFUSED').length,
    failed: failed.length,
    retried: samples.filter((s) => s.retried).length,
    why: [...counts].map(([k, n]) => `${n} × ${k}`).join(', ') || '-',
  };
}
