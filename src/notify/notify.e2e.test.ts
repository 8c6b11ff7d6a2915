/**
 * Notifications end to end: real HTTP receivers on loopback that verify every request with the
 * Standard Webhooks reference library, a real SQLite store, the secret from the secret store (env
 * provider), and `slipway notifications deliver` as its own process, killed with SIGKILL
 * mid-delivery and started again.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { cli, startSlipway, stopProcess } from '../../test/cli-helpers.ts';
import { parseConfig } from '../config/load.ts';
import type { Deployment } from '../domain/types.ts';
import { seedDeployment } from '../server/testing.ts';
import type { Store } from '../store/contract.ts';
import { openStore } from '../store/factory.ts';
import { repoRoot, tempDir } from '../testing.ts';
import { Dispatcher } from './dispatcher.ts';
import { enqueueDeployment } from './outbox.ts';
import { createWebhookNotifier } from './webhook/notifier.ts';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const SECRET_ENV = { SLIPWAY_SECRET_PRODUCTION_WEBHOOK_SECRET: SECRET };

interface Receiver {
  readonly url: string;
  /** Verified deliveries: webhook-id → payload type, in arrival order (duplicates kept). */
  readonly verified: { id: string; type: string }[];
  readonly refused: number;
  requests: number;
  close(): Promise<void>;
}

/** `answer(n)` decides the status of the n-th request (1-based); 'hang' never answers. */
async function receiver(answer: (n: number) => number | 'hang' = () => 204): Promise<Receiver> {
  const wh = new Webhook(SECRET);
  const state = { verified: [] as { id: string; type: string }[], refused: 0, requests: 0 };
  const body = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req
        .setEncoding('utf8')
        .on('data', (c) => (text += c))
        .on('end', () => resolve(text));
    });
  const server: Server = createServer(async (req, res) => {
    const n = ++state.requests;
    const text = await body(req);
    const decision = answer(n);
    if (decision === 'hang') return;
    if (decision >= 200 && decision < 300) {
      try {
        const payload = wh.verify(text, req.headers as Record<string, string>) as { type: string };
        state.verified.push({ id: req.headers['webhook-id'] as string, type: payload.type });
      } catch {
        state.refused++;
        res.writeHead(401).end();
        return;
      }
    }
    res.writeHead(decision).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    get verified() {
      return state.verified;
    },
    get refused() {
      return state.refused;
    },
    get requests() {
      return state.requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  } as Receiver;
}

const yaml = (url: string, attempts = 8) => `app: shop
run: { command: node server.js }
secrets: { provider: env }
environments:
  staging: {}
  production: { after: staging }
notifications:
  - name: ops
    url: ${url}
    secret: { env: production, key: WEBHOOK_SECRET }
    events: [deployment.started, deployment.succeeded, deployment.rolled_back]
    environments: [production]
    attempts: ${attempts}
`;

function subscriptionsOf(text: string) {
  const r = parseConfig(text, 'slipway.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.config.notifications ?? [];
}

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('notifications: signed webhooks from a durable queue', () => {
  const dirs: { cleanup: () => void }[] = [];
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) d.cleanup();
  });
  const project = async (url: string, attempts?: number) => {
    const dir = tempDir('slipway-notify-');
    dirs.push(dir);
    writeFileSync(join(dir.path, 'slipway.yaml'), yaml(url, attempts));
    const store = await openStore(undefined, dir.path);
    return { dir: dir.path, store };
  };
  const queueFor = async (store: Store, text: string, n: number): Promise<Deployment[]> => {
    const subs = subscriptionsOf(text);
    const out: Deployment[] = [];
    for (let i = 0; i < n; i++) {
      const d = await seedDeployment(store, { env: 'production', status: 'succeeded' });
      await enqueueDeployment(store, subs, d);
      out.push(d);
    }
    // Not subscribed: staging, and aborted deployments.
    await enqueueDeployment(
      store,
      subs,
      await seedDeployment(store, { env: 'staging', status: 'succeeded' }),
    );
    return out;
  };

  test('a receiver that fails, then recovers: delivered once accepted, signature verified, same id on every try', async () => {
    const r = await receiver((n) => (n <= 2 ? 503 : 200));
    const { store } = await project(r.url);
    try {
      const text = yaml(r.url);
      const [d] = await queueFor(store, text, 1);
      const dispatcher = new Dispatcher({
        store,
        subscriptions: subscriptionsOf(text),
        notifier: createWebhookNotifier({ secret: async () => SECRET }),
        backoffMs: 20,
      });
      await until('delivery', async () => {
        await dispatcher.tick();
        return (await store.notifications.counts()).delivered === 1;
      });
      assert.equal(r.requests, 3);
      assert.equal(r.refused, 0);
      assert.deepEqual(
        r.verified.map((v) => v.type),
        ['deployment.succeeded'],
      );
      const [row] = await store.notifications.list({});
      assert.equal(row?.deploymentId, d?.id);
      assert.equal(row?.attempts, 3);
      assert.equal(row?.id, r.verified[0]?.id);
      // A plain search: the secret is base64, whose + and / would make a broken pattern.
      assert.ok(!(row?.payload ?? '').includes(SECRET.slice(6, 20)), 'the secret is not in the payload');
      assert.equal((await store.notifications.counts()).pending, 0, 'staging was not subscribed');
    } finally {
      await store.close();
      await r.close();
    }
  });

  test('a receiver that never accepts: the delivery lands on the dead-letter list, shown by the CLI', async () => {
    const r = await receiver(() => 500);
    const { dir, store } = await project(r.url, 2);
    try {
      await queueFor(store, yaml(r.url, 2), 1);
    } finally {
      await store.close();
    }
    try {
      // The sweep also queues the deployment's "started" (the seed skipped the hook): two deliveries,
      // two tries each, then dead. `deliver` sends what is due now, so a retry not yet due waits for
      // the next run (as from cron): run it until nothing is pending, a few times at most.
      let output = '';
      for (let run = 0; run < 10; run++) {
        const r = await runCli(dir, ['notifications', 'deliver', '--backoff', '10ms']);
        assert.equal(r.code, 0, r.stderr);
        output += r.stdout;
        if (/ 0 pending$/m.test(r.stdout)) break;
        await new Promise((res) => setTimeout(res, 30));
      }
      assert.match(output, / 0 pending$/m);
      assert.equal((output.match(/^notification retry /gm) ?? []).length, 2);
      assert.equal((output.match(/^notification dead /gm) ?? []).length, 2);
      const list = await cli(dir, 'notifications', 'list', '--dead');
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /0 pending, 0 delivered, 2 dead/);
      assert.match(
        list.stdout,
        /ops\s+deployment\.succeeded\s+production\s+dep-\S+\s+dead\s+2\s+.*the receiver answered HTTP 500/,
      );
      assert.match(list.stdout, /ops\s+deployment\.started\s+production\s+dep-\S+\s+dead\s+2\s+/);
      assert.equal(r.requests, 4);
    } finally {
      await r.close();
    }
  });

  test('slipway server delivers the queue by itself', async () => {
    const r = await receiver();
    const { dir, store } = await project(r.url);
    const [d] = await queueFor(store, yaml(r.url), 1);
    await store.close();
    Object.assign(process.env, SECRET_ENV);
    let server: ChildProcess | undefined;
    let out = () => '';
    try {
      const started = await startSlipway(dir, ['server', '--init', '--port', '0'], /API on http/);
      server = started.child;
      out = started.out;
      children.push(server);
      // "succeeded" was queued; the server's sweep adds "started" (the seed skipped the hook).
      await until('both events', () => r.verified.length >= 2);
      assert.deepEqual(r.verified.map((v) => v.type).sort(), ['deployment.started', 'deployment.succeeded']);
      assert.equal(r.refused, 0);
      assert.ok(!out().includes(SECRET.slice(6)), 'the signing secret never appears in the log');
    } finally {
      await stopProcess(server);
      delete process.env.SLIPWAY_SECRET_PRODUCTION_WEBHOOK_SECRET;
      await r.close();
    }
    assert.ok(d);
  });

  test('kill -9 of the sending process mid-delivery, then a restart: nothing lost', async () => {
    // The first two requests hang (the sender is killed while they are in flight); the rest answer.
    const r = await receiver((n) => (n <= 2 ? 'hang' : 200));
    const { dir, store } = await project(r.url);
    const queued = await queueFor(store, yaml(r.url), 20);
    await store.close();
    try {
      const args = ['notifications', 'deliver', '--watch', '--backoff', '50ms', '--lease', '1s'];
      const first = startCli(dir, args);
      children.push(first);
      first.stdout?.resume();
      first.stderr?.resume();
      // Generous: the CLI's start alone takes seconds on a busy machine.
      await until('two requests in flight', () => r.requests >= 2, 120_000);
      first.kill('SIGKILL');
      await new Promise((res) => first.once('exit', res));
      const second = startCli(dir, args);
      children.push(second);
      second.stdout?.resume();
      second.stderr?.resume();
      const ids = new Set<string>();
      // Each deployment announces started (queued by the sweep: the seeds skipped the hook) and succeeded.
      await until(
        'every delivery',
        () => {
          for (const v of r.verified) ids.add(v.id);
          return ids.size === queued.length * 2;
        },
        120_000,
      );
      // Every event arrived, but some may have come from the killed sender, which never recorded
      // them: they stay pending until their lease runs out and the second sender sends them again
      // (the receiver dedupes by id). Nothing is lost once the store says so too.
      const check = await openStore(undefined, dir);
      try {
        await until(
          'the store to record every delivery',
          async () => (await check.notifications.counts()).delivered === queued.length * 2,
          120_000,
        );
        second.kill('SIGTERM');
        await new Promise((res) => second.once('exit', res));
        assert.deepEqual(await check.notifications.counts(), { pending: 0, delivered: 40, dead: 0 });
      } finally {
        await check.close();
      }
      assert.equal(r.refused, 0);
    } finally {
      await r.close();
    }
  });
});

function startCli(cwd: string, args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...args],
    {
      cwd,
      env: { ...process.env, ...SECRET_ENV, SLIPWAY_URL: '', SLIPWAY_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

function runCli(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = startCli(cwd, args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => (stdout += c));
  child.stderr?.on('data', (c) => (stderr += c));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr })));
}
