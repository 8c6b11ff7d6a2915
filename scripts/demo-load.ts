/**
 * Steady traffic for the demo: a few loops of GET /api/products on 127.0.0.1, each user with its
 * own id (for canary stickiness). Counts answers, error answers (5xx) and failures (no answer).
 * Bounded: it stops by itself after `maxSeconds`.
 */
export interface Counts {
  readonly total: number;
  /** 5xx answers. */
  readonly errors: number;
  /** 5xx answers plus requests that got no answer at all. */
  readonly failed: number;
}

export function startLoad(port: number, options: { workers?: number; maxSeconds?: number } = {}) {
  const counts = { total: 0, errors: 0, noAnswer: 0 };
  const end = Date.now() + (options.maxSeconds ?? 300) * 1000;
  let stopped = false;
  const worker = async (id: number) => {
    let n = 0;
    while (!stopped && Date.now() < end) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/products`, {
          headers: { 'x-user-id': `user-${id}-${n++ % 50}` },
        });
        await r.arrayBuffer();
        counts.total++;
        if (r.status >= 500) counts.errors++;
      } catch {
        counts.total++;
        counts.noAnswer++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  for (let i = 0; i < (options.workers ?? 4); i++) void worker(i);
  const snapshot = (): Counts => ({
    total: counts.total,
    errors: counts.errors,
    failed: counts.errors + counts.noAnswer,
  });
  return {
    snapshot,
    since(before: Counts): Counts {
      const now = snapshot();
      return {
        total: now.total - before.total,
        errors: now.errors - before.errors,
        failed: now.failed - before.failed,
      };
    },
    stop(): Counts {
      stopped = true;
      return snapshot();
    },
  };
}
