/**
 * Issue 18 · c: a flag rollout with a regression injected into the flagged code path. The example
 * shop reads new-checkout through slipway's OpenFeature provider from a real `slipway server`; a
 * canary ramps the flag (10% → 50% → 100%) with `flagAnalysis: variants`; while the flag is at 10%
 * the new checkout starts failing half its answers (`POST /__faults {"newCheckoutErrorRate": 0.5}`
 * on the running instance, the catalogue untouched). Per round: time from the fault to the flag's
 * kill in the store (slipway's automatic flag-off), to the last answer any user got from the new
 * checkout (the provider applied the kill), and failed requests after that (goal 0), plus the
 * failures between fault and flag-off (the price of detection). Users are 240 ids on 4 loops.
 *
 *   node_modules/.bin/node --disable-warning=ExperimentalWarning bench/flags-regression.ts   (ROUNDS=3)
 */
import { composedEngine, startHarness } from '../src/engine/testing.ts';
import { linkProvider, PATH_WITH_THIS_NODE } from '../src/flags/testing.ts';
import { issueToken } from '../src/server/auth/tokens.ts';
import { startServer } from '../src/server/main.ts';
import { storeOnlyApp } from '../src/server/testing.ts';
import { BuiltinRouter } from '../src/traffic/builtin/router.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
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
          - { flag: 10, analysis: { duration: 20s } }
          - { flag: 50, analysis: { duration: 5s } }
          - { flag: 100 }
    rollbackIf:
      errorRate: { above: 20% }
`;

process.env.PATH = PATH_WITH_THIS_NODE;
const h = await startHarness(new BuiltinRouter());
linkProvider(h.dir);
const placeholder = h.config(yaml('http://127.0.0.1:1'));
const server = await startServer({
  store: h.store,
  config: placeholder,
  app: storeOnlyApp(h.store, placeholder),
  port: 0,
  resume: false,
  driveOnAction: false,
});
await h.store.putUser('shop-app', 'bench');
await h.store.setGrant({ user: 'shop-app', env: 'staging', role: 'viewer' }, true);
process.env.SLIPWAY_SECRET_STAGING_SLIPWAY_FLAGS_TOKEN = (
  await issueToken(h.store, { user: 'shop-app', name: 'shop', expiresInDays: 1, by: 'bench' })
).secret;
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
    by: 'bench',
    reason: 'shipped dark',
  },
]);

/** One record per answer: when, whether it failed, whether it served the new checkout. */
interface Answer {
  readonly at: number;
  readonly failed: boolean;
  readonly on: boolean;
}

function startUsers(port: number) {
  let stopped = false;
  const answers: Answer[] = [];
  const worker = async (w: number) => {
    for (let n = 0; !stopped; n++) {
      const path = n % 3 === 2 ? '/api/products' : '/api/checkout';
      try {
        const r = await fetch(`http://127.0.0.1:${port}${path}`, {
          headers: { 'x-user-id': `user-${w}-${n % 60}` },
          signal: AbortSignal.timeout(10_000),
        });
        await r.arrayBuffer();
        answers.push({
          at: Date.now(),
          failed: r.status >= 500,
          on: r.headers.get('x-slipway-flag') === 'new-checkout=on',
        });
      } catch {
        answers.push({ at: Date.now(), failed: true, on: false });
      }
      await new Promise((r) => setTimeout(r, 4));
    }
  };
  const running = Promise.all([0, 1, 2, 3].map(worker));
  return {
    answers,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

const rows: string[][] = [];
try {
  const { executor, deploy } = await composedEngine(h, yaml(server.url));
  const first = await deploy('staging', '1.0.0');
  if ((await executor.run(first.id)).status !== 'succeeded') throw new Error('1.0.0 did not go live');
  const port = (await h.agent.status('staging')).listen.port;
  for (let round = 1; round <= ROUNDS; round++) {
    const load = startUsers(port);
    const d = await deploy('staging', `2.${round}.0`);
    const run = executor.run(d.id);
    // The fault lands once the flag is at 10% and users are on the new checkout (bounded wait: a
    // deployment that ends first is reported as it is).
    let settled = false;
    void run.then(() => {
      settled = true;
    });
    for (const until = Date.now() + 120_000; Date.now() < until && !settled; ) {
      const f = await h.store.flags.getFlag('shop', 'staging', 'new-checkout');
      const split = (f?.definition?.targeting as { fractional?: unknown[][] } | undefined)?.fractional;
      if (f?.action === 'rollout' && split?.[0]?.[1] === 10 && load.answers.some((a) => a.on)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (settled) {
      await load.stop();
      const early = await run;
      throw new Error(
        `round ${round}: ${d.id} ended before the fault: ${early.status} ${early.reason ?? ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
    const fault = await fetch(`http://127.0.0.1:${port}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ newCheckoutErrorRate: 0.5 }),
    });
    const faultAt = Date.now();
    if (!fault.ok) throw new Error(`could not inject the fault: ${fault.status}`);
    const done = await run;
    await new Promise((r) => setTimeout(r, 1500)); // answers after the rollback, to count failures
    await load.stop();
    const kill = (await h.store.flags.flagHistory('shop', 'staging', 'new-checkout', 1))[0];
    const killAt = kill?.action === 'kill' ? Date.parse(kill.at) : Number.NaN;
    const lastOn = Math.max(0, ...load.answers.filter((a) => a.on).map((a) => a.at));
    const failedBetween = load.answers.filter((a) => a.failed && a.at >= faultAt && a.at <= lastOn).length;
    const failedAfter = load.answers.filter((a) => a.failed && a.at > lastOn).length;
    const answersAfter = load.answers.filter((a) => a.at > lastOn).length;
    rows.push([
      String(round),
      done.status,
      `${((killAt - faultAt) / 1000).toFixed(2)} s`,
      `${((lastOn - faultAt) / 1000).toFixed(2)} s`,
      String(failedBetween),
      `${failedAfter} of ${answersAfter}`,
      failedAfter === 0 && done.status === 'rolled_back' ? 'met' : 'NOT met',
    ]);
    console.log(`round ${round}: ${done.status}: ${done.reason ?? ''}`);
    // Back to dark for the next round (the kill left it off; the next canary starts at 0% anyway).
  }
} finally {
  console.log('');
  console.log(
    '| round | outcome | fault → flag off (store) | fault → last new-checkout answer | failed before | failed after flag off | goal 0 |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  delete process.env.SLIPWAY_SECRET_STAGING_SLIPWAY_FLAGS_TOKEN;
  await server.close();
  await h.close();
}
