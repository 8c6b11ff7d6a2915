/**
 * The TrafficRouter contract suite: every driver's router.test.ts calls `runTrafficContract`.
 * Backends are real node:http servers on 127.0.0.1 (child processes where a test kills one).
 * Run on its own this file defines no tests.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import type { ReleaseRoute, RouterCapabilities, RouteState, TrafficRouter } from './contract.ts';
import { freePort, load, spawnBackend, startBackend, type TestBackend } from './testing.ts';

export interface TrafficContractOptions {
  readonly name: string;
  readonly create: () => TrafficRouter | Promise<TrafficRouter>;
  /**
   * Tests of what this driver does not offer, each group with the reason: not run (nothing of
   * the contract is skipped); a capability it leaves out must be declared false instead.
   */
  readonly leftOut?: readonly { readonly reason: string; readonly tests: readonly ContractTest[] }[];
  /** Skip the whole suite (e.g. the proxy binary is missing); from `serviceSkip`. */
  readonly skipAll?: string | false;
}

export const CONTRACT_TESTS = [
  'routes to the one release',
  'weighted split within tolerance',
  'a 100% switch sends nothing to the old release',
  'stickiness: a user on the new release stays there while its weight grows',
  'preview header routes to a named release even at weight 0',
  'an unhealthy backend gets no traffic',
  'no healthy backend answers 5xx',
  'a SIGKILLed backend fails no request',
  'a removed backend finishes its in-flight request',
  'websocket upgrade passes through',
  'metrics count requests by status class',
  'forwarded headers and request id',
  'apply is idempotent',
  'setWeights refuses unknown env and release',
  'weight changes under continuous load fail no request',
] as const;

export type ContractTest = (typeof CONTRACT_TESTS)[number];

/** The contract tests of an optional capability (contract.ts `RouterCapabilities`). */
const CAPABILITY_TESTS: readonly (readonly [ContractTest, keyof RouterCapabilities])[] = [
  ['stickiness: a user on the new release stays there while its weight grows', 'stickiness'],
  ['preview header routes to a named release even at weight 0', 'preview'],
  ['metrics count requests by status class', 'metrics'],
  ['websocket upgrade passes through', 'websockets'],
];

export function runTrafficContract(options: TrafficContractOptions): void {
  const leftOut = new Set(options.leftOut?.flatMap((group) => group.tests));

  describe(`TrafficRouter contract: ${options.name}`, { skip: options.skipAll }, () => {
    let router: TrafficRouter;
    let port: number;
    let url: string;
    let backends: TestBackend[];
    const env = 'contract';

    const backend = async (name: string, health?: number) => {
      const b = await startBackend(name, { health });
      backends.push(b);
      return b;
    };
    const release = (name: string, weight: number, bs: TestBackend[]): ReleaseRoute => ({
      release: name,
      weight,
      backends: bs.map((b) => b.backend),
    });
    const state = (releases: ReleaseRoute[], extra: Partial<RouteState> = {}): RouteState => ({
      env,
      listen: { host: '127.0.0.1', port },
      releases,
      ...extra,
    });
    const get = async (path = '/', headers: Record<string, string> = {}) => {
      const res = await fetch(url + path, { headers, signal: AbortSignal.timeout(10_000) });
      return { status: res.status, backend: res.headers.get('x-backend'), body: await res.text() };
    };
    const it = (title: ContractTest, fn: () => Promise<void>) => {
      if (!leftOut.has(title)) test(title, fn);
    };

    if (leftOut.size > 0)
      test('declares the capabilities it leaves out as absent', async () => {
        const created = await options.create();
        const declared = created.capabilities;
        await created.close();
        for (const [title, capability] of CAPABILITY_TESTS)
          if (leftOut.has(title))
            assert.equal(
              declared[capability],
              false,
              `"${title}" is left out, so ${capability} must be false`,
            );
      });

    beforeEach(async () => {
      backends = [];
      router = await options.create();
      port = await freePort();
      url = `http://127.0.0.1:${port}`;
    });
    afterEach(async () => {
      await router.close();
      await Promise.all(backends.map((b) => b.close()));
    });

    it('routes to the one release', async () => {
      const a = await backend('a');
      await router.apply(state([release('v1', 100, [a])]));
      const r = await load(url, 20, { concurrency: 4 });
      assert.equal(r.failed, 0);
      assert.deepEqual([...r.byBackend], [['a', 20]]);
    });

    it('weighted split within tolerance', async () => {
      const [a, b] = [await backend('a'), await backend('b')];
      await router.apply(state([release('v1', 70, [a]), release('v2', 30, [b])]));
      const r = await load(url, 1000, { concurrency: 10 });
      assert.equal(r.failed, 0);
      const onNew = r.byBackend.get('b') ?? 0;
      assert.ok(
        Math.abs(onNew - 300) <= 60,
        `v2 got ${onNew} of 1000 requests at weight 30 (want 300 ± 60, 4 standard deviations)`,
      );
    });

    it('a 100% switch sends nothing to the old release', async () => {
      const [a, b] = [await backend('a'), await backend('b')];
      await router.apply(state([release('v1', 100, [a]), release('v2', 0, [b])]));
      assert.equal((await load(url, 20)).byBackend.get('a'), 20);
      await router.setWeights(env, { v1: 0, v2: 100 });
      const r = await load(url, 200, { concurrency: 8 });
      assert.equal(r.failed, 0);
      assert.deepEqual([...r.byBackend], [['b', 200]]);
    });

    it('stickiness: a user on the new release stays there while its weight grows', async () => {
      const [a, b] = [await backend('a'), await backend('b')];
      const sticky = { stickiness: { kind: 'header', name: 'x-user-id' } } as const;
      await router.apply(state([release('v1', 90, [a]), release('v2', 10, [b])], sticky));
      const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
      const onNew = async () => {
        const set = new Set<string>();
        for (const user of users) {
          const r = await get('/', { 'x-user-id': user });
          assert.equal(r.status, 200);
          if (r.backend === 'b') set.add(user);
        }
        return set;
      };
      const at10 = await onNew();
      assert.deepEqual(await onNew(), at10, 'the same user must get the same release at the same weights');
      await router.setWeights(env, { v1: 70, v2: 30 });
      const at30 = await onNew();
      await router.setWeights(env, { v1: 40, v2: 60 });
      const at60 = await onNew();
      for (const u of at10) assert.ok(at30.has(u), `${u} was on v2 at 10% and flipped back at 30%`);
      for (const u of at30) assert.ok(at60.has(u), `${u} was on v2 at 30% and flipped back at 60%`);
      assert.ok(at10.size > 0 && at10.size < at60.size && at60.size < 200, `sizes ${at10.size} ${at60.size}`);
    });

    it('preview header routes to a named release even at weight 0', async () => {
      const [a, b] = [await backend('a'), await backend('b')];
      await router.apply(state([release('v1', 100, [a]), release('v2', 0, [b])]));
      for (let i = 0; i < 10; i++) assert.equal((await get('/', { 'x-slipway-release': 'v2' })).backend, 'b');
      assert.equal((await get('/')).backend, 'a');
    });

    it('an unhealthy backend gets no traffic', async () => {
      const [a, b] = [await backend('a'), await backend('b', 503)];
      const health = { path: '/health', intervalMs: 100, timeoutMs: 1000 };
      await router.apply(state([release('v1', 100, [a, b])], { health }));
      const r = await load(url, 50, { concurrency: 4 });
      assert.equal(r.failed, 0);
      assert.deepEqual([...r.byBackend], [['a', 50]]);
      b.setHealth(200);
      // Health checks run every 100 ms; wait (bounded) until b is back in rotation.
      const until = Date.now() + 10_000;
      while (Date.now() < until && !(await load(url, 10)).byBackend.has('b'));
      assert.ok((await load(url, 20)).byBackend.has('b'), 'b healthy again but still gets no traffic');
    });

    it('no healthy backend answers 5xx', async () => {
      const a = await backend('a', 503);
      const health = { path: '/health', intervalMs: 100, timeoutMs: 1000 };
      await router.apply(state([release('v1', 100, [a])], { health }));
      const r = await get('/');
      assert.ok(r.status === 502 || r.status === 503, `status ${r.status}`);
      assert.notEqual(r.backend, 'a');
    });

    it('a SIGKILLed backend fails no request', async () => {
      const [a, b] = [await spawnBackend('a'), await spawnBackend('b')];
      backends.push(a, b);
      await router.apply(state([release('v1', 100, [a, b])]));
      const r = await load(url, 400, {
        concurrency: 8,
        headersFor: (i) => {
          if (i === 100) void a.kill();
          return {};
        },
      });
      assert.equal(r.failed, 0, `statuses: ${JSON.stringify([...r.statuses])}`);
      assert.ok((r.byBackend.get('b') ?? 0) > 300, `b served ${r.byBackend.get('b')}`);
    });

    it('a removed backend finishes its in-flight request', async () => {
      const [a, b] = [await backend('a'), await backend('b')];
      await router.apply(state([release('v1', 100, [a])]));
      const arrived = once(a.events, 'request');
      const slow = get('/slow?ms=800');
      await arrived;
      await router.apply(state([release('v2', 100, [b])]));
      assert.equal((await get('/')).backend, 'b');
      const r = await slow;
      assert.deepEqual([r.status, r.backend], [200, 'a']);
    });

    it('websocket upgrade passes through', async () => {
      const a = await backend('a');
      await router.apply(state([release('v1', 100, [a])]));
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      const messages: string[] = [];
      const waiters: (() => void)[] = [];
      ws.addEventListener('message', (e) => {
        messages.push(String(e.data));
        for (const w of waiters.splice(0)) w();
      });
      const got = (n: number) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`websocket: got ${messages.join('|')}`)), 5000);
          const check = () => {
            if (messages.length >= n) {
              clearTimeout(timer);
              resolve();
            } else waiters.push(check);
          };
          ws.addEventListener('error', () => reject(new Error('websocket error')));
          check();
        });
      await got(1);
      ws.send('ping');
      await got(2);
      ws.close();
      assert.deepEqual(messages, ['hello from a', 'echo ping']);
    });

    it('metrics count requests by status class', async () => {
      const a = await backend('a');
      await router.apply(state([release('v1', 100, [a])]));
      assert.ok(router.metrics, 'the driver says it has metrics but has no metrics()');
      await load(url, 20, { concurrency: 4 });
      for (let i = 0; i < 3; i++) assert.equal((await get('/status/503')).status, 503);
      const m = await router.metrics(env, 'v1', 60_000);
      assert.equal(m.requests, 23);
      assert.deepEqual(m.status, { '1xx': 0, '2xx': 20, '3xx': 0, '4xx': 0, '5xx': 3 });
      assert.equal(m.failures, 0);
      assert.ok(m.latency.p50 !== null && m.latency.p99 !== null && m.latency.p50 <= m.latency.p99);
      assert.equal((await router.metrics(env, 'v9', 60_000)).requests, 0);
    });

    it('forwarded headers and request id', async () => {
      const a = await backend('a');
      await router.apply(state([release('v1', 100, [a])]));
      const seen = JSON.parse((await get('/headers', { 'x-request-id': 'req-42' })).body);
      assert.match(seen['x-forwarded-for'], /127\.0\.0\.1/);
      assert.equal(seen['x-forwarded-proto'], 'http');
      assert.equal(seen['x-forwarded-host'], `127.0.0.1:${port}`);
      assert.equal(seen['x-request-id'], 'req-42');
      const fresh = JSON.parse((await get('/headers')).body);
      assert.ok(fresh['x-request-id']?.length >= 8, `generated id ${fresh['x-request-id']}`);
    });

    it('apply is idempotent', async () => {
      const [a, b] = [await backend('a'), await backend('b')];
      const s = state([release('v1', 50, [a]), release('v2', 50, [b])]);
      await router.apply(s);
      const arrived = Promise.race([once(a.events, 'request'), once(b.events, 'request')]);
      const slow = get('/slow?ms=500');
      await arrived;
      await router.apply(s);
      await router.apply(s);
      const r = await load(url, 200, { concurrency: 4 });
      assert.equal(r.failed, 0);
      const [onA, onB] = [r.byBackend.get('a') ?? 0, r.byBackend.get('b') ?? 0];
      // A random split of 200 at 50/50 has a standard deviation of 7: ±30 fails a right split about
      // once in 40,000 runs (±10 of 100, before, failed one in 20), and still tells it from 80/20.
      assert.ok(onA + onB === 200 && Math.abs(onA - 100) <= 30, `split ${onA}/${onB} at 50/50`);
      assert.equal((await slow).status, 200);
    });

    it('weight changes under continuous load fail no request', async () => {
      const [a, b] = [await backend('a'), await backend('b')];
      await router.apply(state([release('v1', 100, [a]), release('v2', 0, [b])]));
      let stop = false;
      const results: Awaited<ReturnType<typeof load>>[] = [];
      const during = (async () => {
        // Bounded: at most 200 rounds of 20 requests, however slow the machine.
        for (let i = 0; i < 200 && !stop; i++) {
          results.push(await load(url, 20, { concurrency: 4 }));
        }
      })();
      for (const w of [10, 25, 50, 100, 0, 100]) {
        // Let requests flow between changes (spacing only; nothing is timed).
        await new Promise((resolve) => setTimeout(resolve, 30));
        await router.setWeights(env, { v1: 100 - w, v2: w });
      }
      stop = true;
      await during;
      const failed = results.reduce((n, r) => n + r.failed, 0);
      const sent = results.length * 20;
      assert.equal(failed, 0, `${failed} of ${sent} requests failed`);
      assert.ok(
        results.some((r) => r.byBackend.has('b')),
        'no request reached the new release',
      );
    });

    it('setWeights refuses unknown env and release', async () => {
      const a = await backend('a');
      await router.apply(state([release('v1', 100, [a])]));
      const code = (e: unknown) => isAppError(e) && e.code === 'TRAFFIC_ROUTE_INVALID';
      await assert.rejects(router.setWeights('nope', { v1: 100 }), code);
      await assert.rejects(router.setWeights(env, { v7: 100 }), code);
      await assert.rejects(router.setWeights(env, { v1: 60 }), code);
      assert.equal((await get('/')).backend, 'a');
    });
  });
}

/**
 * The state part of the contract, for every router including fakes that open no listener: the
 * same mistakes refused with the same code, weights replaced as a whole, a removed environment
 * forgotten.
 */
export function runRouterStateContract(options: {
  readonly name: string;
  readonly create: () => TrafficRouter | Promise<TrafficRouter>;
  /** Skip the whole suite (e.g. the proxy binary is missing); from `serviceSkip`. */
  readonly skipAll?: string | false;
}): void {
  describe(`TrafficRouter state contract: ${options.name}`, { skip: options.skipAll }, () => {
    const invalid = (e: unknown) => isAppError(e) && e.code === 'TRAFFIC_ROUTE_INVALID';
    const state = (port: number, weights: Record<string, number>): RouteState => ({
      env: 'state',
      listen: { host: '127.0.0.1', port },
      releases: Object.entries(weights).map(([release, weight], i) => ({
        release,
        weight,
        backends: [{ id: `${release}-0`, host: '127.0.0.1', port: 9000 + i }],
      })),
    });

    test('refuses bad weights, unknown environments and releases with TRAFFIC_ROUTE_INVALID', async () => {
      const router = await options.create();
      const port = await freePort();
      try {
        await assert.rejects(router.apply(state(port, { v1: 120, v2: -20 })), invalid);
        await assert.rejects(router.apply(state(port, { v1: 50, v2: 40 })), invalid);
        await router.apply(state(port, { v1: 100, v2: 0 }));
        await router.apply(state(port, { v1: 100, v2: 0 }));
        await assert.rejects(router.setWeights('nope', { v1: 100 }), invalid);
        await assert.rejects(router.setWeights('state', { v3: 100 }), invalid);
        await assert.rejects(router.setWeights('state', { v1: 60 }), invalid);
        // Releases not named get 0: { v2: 100 } is a whole cutover.
        await router.setWeights('state', { v2: 100 });
        await router.remove('state');
        await assert.rejects(router.setWeights('state', { v1: 100 }), invalid);
      } finally {
        await router.close();
      }
    });
  });
}
