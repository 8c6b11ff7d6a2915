/**
 * Issue 20 · a and b: notification fan-out. EVENTS events queued for SUBSCRIBERS webhook
 * subscribers (EVENTS × SUBSCRIBERS deliveries in a real SQLite store); the receivers are their own
 * process (bench/notify-receivers.ts), verify every signature with `standardwebhooks`, and the
 * first FAILING of them answer 500 to half of their requests.
 *
 * a (default): the Dispatcher in this process drains the queue (BATCH at once, retries after 20 ms
 *   doubling to 500 ms, with jitter); then the peer: the same number of signed POSTs sent straight
 *   from a loop with the same concurrency and no queue (a failure re-sent at once). Reports the
 *   drain time, the ratio to the peer, and per subscriber: accepted ids (must be EVENTS each),
 *   duplicates, failures answered.
 * b (KILL=1): `slipway notifications deliver --watch` as its own process is killed with SIGKILL
 *   once 40% of the deliveries were accepted, and started again; reports events lost (0 expected:
 *   every subscriber accepted every event id) and duplicates (re-sent after the kill: at least once).
 *
 *   node_modules/.bin/node bench/notify-fanout.ts            (EVENTS=10000 SUBSCRIBERS=20 FAILING=2 BATCH=64)
 *   KILL=1 node_modules/.bin/node bench/notify-fanout.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseConfig } from '../src/config/load.ts';
import type { NewDelivery } from '../src/notify/contract.ts';
import { Dispatcher } from '../src/notify/dispatcher.ts';
import { deliveryId } from '../src/notify/outbox.ts';
import { post } from '../src/notify/post.ts';
import { createWebhookNotifier } from '../src/notify/webhook/notifier.ts';
import { secretBytes, signWebhook } from '../src/notify/webhook/sign.ts';
import { openStore } from '../src/store/factory.ts';
import { repoRoot, tempDir } from '../src/testing.ts';

const EVENTS = Number(process.env.EVENTS ?? 10_000);
const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 20);
const FAILING = Number(process.env.FAILING ?? Math.round(SUBSCRIBERS / 10));
const BATCH = Number(process.env.BATCH ?? 64);
const KILL = process.env.KILL === '1';
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const node = ['--disable-warning=ExperimentalWarning'];

const dir = tempDir('slipway-bench-notify-');
const children: ChildProcess[] = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  dir.cleanup();
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(1));

type Tallies = { accepted: number; duplicates: number; failed: number; refused: number }[];
const receivers = spawn(process.execPath, [...node, join(repoRoot, 'bench/notify-receivers.ts')], {
  env: { ...process.env, SECRET, SUBSCRIBERS: String(SUBSCRIBERS), FAILING: String(FAILING) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(receivers);
const lines = createInterface({ input: receivers.stdout as NodeJS.ReadableStream });
const waiting: ((line: string) => void)[] = [];
lines.on('line', (l) => waiting.shift()?.(l));
const nextLine = () => new Promise<string>((ok) => waiting.push(ok));
const { ports } = JSON.parse(await nextLine()) as { ports: number[] };
const tallies = async (): Promise<Tallies> => {
  const line = nextLine();
  receivers.kill('SIGUSR2');
  return (JSON.parse(await line) as { tallies: Tallies }).tallies;
};

const yaml = `app: shop
run: { command: node server.js }
secrets: { provider: env }
environments:
  production: {}
notifications:
${ports
  .map(
    (p, i) =>
      `  - { name: sub-${i}, url: "http://127.0.0.1:${p}/hook", secret: { env: production, key: WEBHOOK_SECRET }, events: [deployment.succeeded], attempts: 50 }`,
  )
  .join('\n')}
`;
writeFileSync(join(dir.path, 'slipway.yaml'), yaml);
const parsed = parseConfig(yaml, 'slipway.yaml');
if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
const subscriptions = parsed.config.notifications ?? [];

const store = await openStore(undefined, dir.path);
const t0 = performance.now();
for (let i = 0; i < EVENTS; i += 100) {
  const rows: NewDelivery[] = [];
  for (let e = i; e < Math.min(EVENTS, i + 100); e++) {
    const payload = JSON.stringify({
      type: 'deployment.succeeded',
      timestamp: new Date().toISOString(),
      data: { app: 'shop', env: 'production', deployment: `dep-${e}`, release: `1.0.${e}` },
    });
    for (const s of subscriptions)
      rows.push({
        id: deliveryId(s.name, `dep-${e}`, 'deployment.succeeded'),
        subscription: s.name,
        event: 'deployment.succeeded',
        app: 'shop',
        env: 'production',
        deploymentId: `dep-${e}`,
        payload,
      });
  }
  await store.notifications.enqueue(rows);
}
const total = EVENTS * SUBSCRIBERS;
console.log(
  `queued ${EVENTS} events × ${SUBSCRIBERS} subscribers = ${total} deliveries in ${Math.round(performance.now() - t0)} ms; ${FAILING} receivers fail half the time`,
);

const report = (t: Tallies, label: string) => {
  const short = t.filter((x) => x.accepted < EVENTS).length;
  const lost = t.reduce((n, x) => n + (EVENTS - x.accepted), 0);
  const dups = t.reduce((n, x) => n + x.duplicates, 0);
  const failed = t.reduce((n, x) => n + x.failed, 0);
  console.log(
    `${label}: events lost ${lost} (subscribers short: ${short}); accepted per subscriber min ${Math.min(...t.map((x) => x.accepted))} max ${Math.max(...t.map((x) => x.accepted))}; duplicates ${dups}; 500s answered ${failed}; bad signatures ${t.reduce((n, x) => n + x.refused, 0)}`,
  );
};

async function untilDrained(): Promise<void> {
  for (;;) {
    const c = await store.notifications.counts();
    if (c.pending === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const cli = (args: string[]) => {
  const child = spawn(process.execPath, [...node, join(repoRoot, 'bin/slipway.js'), ...args], {
    cwd: dir.path,
    env: {
      ...process.env,
      SLIPWAY_URL: '',
      SLIPWAY_TOKEN: '',
      SLIPWAY_SECRET_PRODUCTION_WEBHOOK_SECRET: SECRET,
    },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
};

if (!KILL) {
  const dispatcher = new Dispatcher({
    store,
    subscriptions,
    notifier: createWebhookNotifier({ secret: async () => SECRET }),
    batch: BATCH,
    backoffMs: 20,
    maxBackoffMs: 500,
  });
  const t1 = performance.now();
  dispatcher.start();
  await untilDrained();
  await dispatcher.stop();
  const drainMs = performance.now() - t1;
  const counts = await store.notifications.counts();
  report(await tallies(), 'a');
  console.log(
    `a: drained in ${(drainMs / 1000).toFixed(1)} s (${Math.round(total / (drainMs / 1000))} deliveries/s); store: ${JSON.stringify(counts)}`,
  );
  // The peer: the same deliveries signed and POSTed from a plain loop, BATCH at once, no queue.
  const key = secretBytes(SECRET) as Buffer;
  const t2 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: BATCH }, async () => {
      for (;;) {
        const n = next++;
        if (n >= total) return;
        const s = subscriptions[n % SUBSCRIBERS];
        const body = JSON.stringify({
          type: 'deployment.succeeded',
          timestamp: new Date().toISOString(),
          data: { n },
        });
        const headers = signWebhook(key, `peer_${n}`, Math.floor(Date.now() / 1000), body);
        for (;;) {
          try {
            await post('peer', s?.url as string, body, { ...headers });
            break;
          } catch {}
        }
      }
    }),
  );
  const peerMs = performance.now() - t2;
  console.log(
    `a: peer (plain signed POSTs, no queue) ${(peerMs / 1000).toFixed(1)} s; drain / peer = ${(drainMs / peerMs).toFixed(2)}`,
  );
} else {
  const args = [
    'notifications',
    'deliver',
    '--watch',
    '--batch',
    String(BATCH),
    '--backoff',
    '20ms',
    '--lease',
    '2s',
  ];
  const t1 = performance.now();
  const first = cli(args);
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    const accepted = (await tallies()).reduce((n, x) => n + x.accepted, 0);
    if (accepted >= total * 0.4) break;
  }
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const atKill = await store.notifications.counts();
  console.log(
    `b: SIGKILL of the delivering process after ${((performance.now() - t1) / 1000).toFixed(1)} s; store then: ${JSON.stringify(atKill)}`,
  );
  const second = cli(args);
  await untilDrained();
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));
  const drainMs = performance.now() - t1;
  report(await tallies(), 'b');
  console.log(
    `b: all drained ${(drainMs / 1000).toFixed(1)} s after the first start (both processes' start included); store: ${JSON.stringify(await store.notifications.counts())}`,
  );
}
await store.close();
process.exit(0);
