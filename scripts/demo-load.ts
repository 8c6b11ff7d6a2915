/**
 * Steady traffic for the demo: a few loops of GET /api/products (or `path`) on 127.0.0.1, each user
 * with its own id (for canary stickiness and flag bucketing). Counts answers, error answers (5xx) and
 * failures (no answer), and which users were last served a flag's `on` variant (the shop's
 * `x-slipway-flag: KEY=VARIANT` answer header). Bounded: it stops by itself after `maxSeconds`.
 */
export interface Counts {
  readonly total: number;
  /** 5xx answers. */
  readonly errors: number;
  /** 5xx answers plus requests that got no answer at all. */
  readonly failed: number;
}

export interface LoadOptions {
  readonly workers?: number;
  readonly maxSeconds?: number;
  /** Default /api/products. */
  readonly path?: string;
}

export function startLoad(port: number, options: LoadOptions = {}) {
  const counts = { total: 0, errors: 0, noAnswer: 0 };
  /** Per user: when they were last answered and whether that answer was a flag's `on` variant. */
  const users = new Map<string, { at: number; on: boolean }>();
  const path = options.path ?? '/api/products';
  /** When an answer last served a flag's `on` variant (0: never). */
  let lastOnAt = 0;
  const end = Date.now() + (options.maxSeconds ?? 300) * 1000;
  let stopped = false;
  const worker = async (id: number) => {
    let n = 0;
    while (!stopped && Date.now() < end) {
      try {
        const user = `user-${id}-${n++ % 50}`;
        const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'x-user-id': user } });
        await r.arrayBuffer();
        counts.total++;
        const flag = r.headers.get('x-slipway-flag');
        if (flag) users.set(user, { at: Date.now(), on: flag.endsWith('=on') });
        if (flag?.endsWith('=on')) lastOnAt = Date.now();
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
    /** When an answer last served a flag's `on` variant (epoch ms; 0: never). */
    lastOnAt: () => lastOnAt,
    /** Of the users answered since `since` (epoch ms), how many were last served the `on` variant. */
    usersOn(since: number): { on: number; of: number } {
      let on = 0;
      let of = 0;
      for (const u of users.values())
        if (u.at >= since) {
          of++;
          if (u.on) on++;
        }
      return { on, of };
    },
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
