/**
 * `strategy.canary.flagAnalysis: variants` end to end: the example shop reads the flag new-checkout
 * through slipway's OpenFeature provider from a real `slipway server` (HTTP, change stream), marks
 * each checkout answer with the variant it served (`x-slipway-flag`), the builtin router counts the
 * variants apart, and the guard judges the users on the new checkout against the others. A bug in
 * the new checkout alone, too small to move the release's own error rate past its limit, turns the
 * flag off (a kill by slipway) and rolls the release back; a healthy one ramps the flag to everyone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { linkProvider, PATH_WITH_THIS_NODE } from '../flags/testing.ts';
import { issueToken } from '../server/auth/tokens.ts';
import { startServer } from '../server/main.ts';
import { storeOnlyApp } from '../server/testing.ts';
import { BuiltinRouter } from '../traffic/builtin/router.ts';
import { composedEngine, type Harness, startHarness } from './testing.ts';

const yaml = (serverUrl: string) => `app: shop
secrets: { provider: env }
config:
  require: { SLIPWAY_FLAGS_URL: url, SLIPWAY_FLAGS_TOKEN: secret }
  values: { SLIPWAY_FLAGS_URL: "${serverUrl}", SLIPWAY_FLAGS_ENV: staging }
run: { command: node server.js, instances: 1, health: { interval: 1s, timeout: 1s, startTimeout: 20s }, stopTimeout: 2s }
environments:
  staging:
    profile: fast
    strategy:
      canary:
        flag: new-checkout
        flagAnalysis: variants
        steps:
          - { flag: 0 }
          - { weight: 100 }
          - { flag: 10, analysis: { duration: 4s } }
          - { flag: 100 }
    rollbackIf:
      errorRate: { above: 20% }
`;

/** Users hitting the checkout (and the catalogue, half as often), each with its own id. */
function startUsers(port: number) {
  let stopped = false;
  const seen = { checkout: 0, failed: 0 };
  const worker = async (w: number) => {
    for (let n = 0; !stopped; n++) {
      const user = `user-${w}-${n % 60}`;
      const path = n % 3 === 2 ? '/api/products' : '/api/checkout';
      try {
        const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'x-user-id': user } });
        await r.arrayBuffer();
        if (path === '/api/checkout') seen.checkout++;
        if (r.status >= 500) seen.failed++;
      } catch {
        seen.failed++;
      }
      await new Promise((r) => setTimeout(r, 4));
    }
  };
  const running = Promise.all([0, 1, 2, 3].map(worker));
  return {
    seen,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

describe('flag steps judged by variant (real server, provider, agent, builtin router)', () => {
  let h: Harness;
  let server: Awaited<ReturnType<typeof startServer>>;
  const path = process.env.PATH;
  before(async () => {
    process.env.PATH = PATH_WITH_THIS_NODE; // the instances run the provider's TypeScript source
    h = await startHarness(new BuiltinRouter());
    linkProvider(h.dir);
    server = await startServer({
      store: h.store,
      config: h.config(yaml('http://127.0.0.1:1')),
      app: storeOnlyApp(h.store, h.config(yaml('http://127.0.0.1:1'))),
      port: 0,
      resume: false,
      driveOnAction: false,
      ssePollMs: 50,
    });
    await h.store.putUser('shop-app', 'test');
    await h.store.setGrant({ user: 'shop-app', env: 'staging', role: 'viewer' }, true);
    const token = await issueToken(h.store, { user: 'shop-app', name: 'shop', expiresInDays: 1, by: 'test' });
    process.env.SLIPWAY_SECRET_STAGING_SLIPWAY_FLAGS_TOKEN = token.secret;
    await h.store.flags.putFlags([
      {
        app: 'shop',
        env: 'staging',
        key: 'new-checkout',
        definition: {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: {},
        },
        action: 'set',
        by: 'alice',
        reason: 'shipped dark',
      },
    ]);
  });
  after(async () => {
    delete process.env.SLIPWAY_SECRET_STAGING_SLIPWAY_FLAGS_TOKEN;
    await server?.close();
    await h?.close();
    process.env.PATH = path;
  });

  test('a healthy new checkout ramps to everyone; a broken one is turned off and rolled back', async () => {
    const { executor, deploy } = await composedEngine(h, yaml(server.url));
    const first = await deploy('staging', '1.0.0');
    assert.equal((await executor.run(first.id)).status, 'succeeded');
    const port = (await h.agent.status('staging')).listen.port;
    const load = startUsers(port);
    try {
      const good = await deploy('staging', '2.0.0');
      const done = await executor.run(good.id);
      assert.equal(done.status, 'succeeded', done.reason ?? '');
      const ramped = await h.store.flags.getFlag('shop', 'staging', 'new-checkout');
      assert.deepEqual(ramped?.definition?.targeting, {
        fractional: [
          ['on', 100],
          ['off', 0],
        ],
      });
      const variants = await h.agent.metrics('staging', `flag:new-checkout=on@${good.releaseId}`, 10_000);
      assert.ok(variants.requests > 0, 'the router counted the answers of the new checkout apart');

      // 3.0.0 fails half of the new checkouts and nothing else: at 10% of users that is about 3% of
      // all answers, far under the release's 20% limit; the users on the new checkout show it.
      const bad = await deploy('staging', '3.0.0', { newCheckoutErrorRate: 0.5 });
      const rolled = await executor.run(bad.id);
      assert.equal(rolled.status, 'rolled_back', rolled.reason ?? '');
      assert.match(rolled.reason ?? '', /flag new-checkout, users on "on" against users on "off"/);
      const now = await h.store.flags.getFlag('shop', 'staging', 'new-checkout');
      assert.deepEqual([now?.action, now?.by, now?.definition?.targeting], ['kill', 'slipway', {}]);
      const events = (await h.store.listEvents(bad.id)).filter((e) => e.type === 'flag-off');
      assert.equal(events.length, 1);
    } finally {
      await load.stop();
    }
    assert.ok(load.seen.checkout > 100, `checkouts: ${load.seen.checkout}`);
  });
});

test('flagAnalysis: variants without the canary flag is refused with its place', () => {
  const loaded = parseConfig(
    yaml('http://127.0.0.1:1')
      .replace('        flag: new-checkout\n', '')
      .replace(/ {10}- \{ flag: \d+.*\n/g, ''),
    'slipway.yaml',
  );
  assert.deepEqual(!loaded.ok && loaded.problems.map((p) => [p.path, p.message]), [
    [
      'environments.staging.strategy.canary.flagAnalysis',
      "flagAnalysis: variants judges the variants of the canary's flag; name it with `flag: new-checkout`",
    ],
  ]);
});
