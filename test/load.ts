/**
 * Continuous loopback load for end-to-end fault tests: a few workers requesting one URL with a
 * short gap, bounded in time and count, counting every answer that is not a 2xx as a failure.
 */
export interface LoadFigures {
  readonly ok: number;
  /** The first few failures, as "status" or "error: message". */
  readonly failures: readonly string[];
  readonly failed: number;
}

export interface Load {
  stop(): Promise<LoadFigures>;
}

export function startLoad(options: {
  url: string;
  workers?: number;
  gapMs?: number;
  maxMs?: number;
  maxRequests?: number;
}): Load {
  const { url, workers = 4, gapMs = 25, maxMs = 240_000, maxRequests = 200_000 } = options;
  const until = Date.now() + maxMs;
  let stopped = false;
  let ok = 0;
  let failed = 0;
  const failures: string[] = [];
  const fail = (what: string) => {
    failed++;
    if (failures.length < 20) failures.push(what);
  };
  const worker = async () => {
    while (!stopped && Date.now() < until && ok + failed < maxRequests) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        if (res.ok) ok++;
        else fail(String(res.status));
      } catch (error) {
        fail(`error: ${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? '')}`);
      }
      await new Promise((r) => setTimeout(r, gapMs));
    }
  };
  const running = Promise.all(Array.from({ length: workers }, worker));
  return {
    async stop() {
      stopped = true;
      await running;
      return { ok, failed, failures };
    },
  };
}
