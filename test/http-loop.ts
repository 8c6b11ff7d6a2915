/** Continuous HTTP load for end-to-end tests: closed-loop clients, every non-200 answer counts as failed. */

export interface LoopCounts {
  ok: number;
  failed: number;
  readonly versions: Set<string>;
  readonly errors: string[];
  /** Answers per version, in arrival order (to see a split rather than a switch). */
  readonly byVersion: Map<string, number>;
}

/**
 * Requests to `http://127.0.0.1:port/` from `workers` clients until `stop()`, each waiting `gapMs`
 * between its requests: a few hundred requests a second find any failed switch, and the CPU a
 * loop without gaps burns slowed every other suite running beside it.
 */
export function httpLoop(port: number, workers = 4, gapMs = 5) {
  let running = true;
  // A test that fails before stop() would leave the loop running and its file never ending: the
  // loop ends by itself after the 5-minute test timeout.
  const limit = setTimeout(() => {
    running = false;
  }, LOOP_LIMIT_MS);
  const counts: LoopCounts = { ok: 0, failed: 0, versions: new Set(), errors: [], byVersion: new Map() };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as { version?: string };
        if (res.status === 200) {
          counts.ok++;
          if (body.version) {
            counts.versions.add(body.version);
            counts.byVersion.set(body.version, (counts.byVersion.get(body.version) ?? 0) + 1);
          }
        } else {
          counts.failed++;
          counts.errors.push(`HTTP ${res.status}`);
        }
      } catch (error) {
        counts.failed++;
        counts.errors.push(String((error as Error).cause ?? error));
      }
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  });
  return {
    counts,
    async stop() {
      running = false;
      clearTimeout(limit);
      await Promise.all(loops);
      return counts;
    },
  };
}

const LOOP_LIMIT_MS = 300_000;
