import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { test } from 'node:test';
import { hasBinary, serviceSkip } from '../../testing.ts';
import { pickSticky, stickyPoint } from '../builtin/split.ts';
import { runRouterStateContract, runTrafficContract } from '../contract.case.test.ts';
import { freePort, load, startBackend } from '../testing.ts';
import { findNjsModule } from './njs-module.ts';
import { NginxRouter } from './router.ts';

/** nginx and its njs module (the driver's split runs in njs). */
function nginxWithNjs(): boolean {
  if (!hasBinary('nginx')) return false;
  try {
    findNjsModule('nginx');
    return true;
  } catch {
    return false;
  }
}

const nginxSkip = serviceSkip('nginx', nginxWithNjs(), 'apt-get install nginx libnginx-mod-http-js');

runRouterStateContract({ name: 'nginx', create: () => new NginxRouter(), skipAll: nginxSkip });

runTrafficContract({
  name: 'nginx',
  create: () => new NginxRouter(),
  skipAll: nginxSkip,
  leftOut: [
    {
      reason: 'nginx keeps no per-release windowed metrics; read them from access logs or Prometheus',
      tests: ['metrics count requests by status class'],
    },
  ],
});

/** PIDs of the nginx master's children (its workers), from /proc. */
function workerPids(master: number): string {
  return readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim();
}

/** The workers once the master has forked them (it answers before they exist). */
async function startedWorkers(master: number): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const pids = workerPids(master);
    if (pids !== '' || Date.now() > deadline) return pids;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('nginx: weight changes, a switch and a rollback do not reload nginx; a kept-alive client sees no failure', {
  skip: nginxSkip,
}, async () => {
  const router = new NginxRouter();
  const [a, b, c] = [await startBackend('a'), await startBackend('b'), await startBackend('c')];
  const port = await freePort();
  const state = (wa: number, extra: { release: string; weight: number; backends: [] }[] = []) => ({
    env: 'reload',
    listen: { host: '127.0.0.1', port },
    releases: [
      { release: 'v1', weight: wa, backends: [a.backend] },
      { release: 'v2', weight: 100 - wa, backends: [b.backend] },
      ...extra,
    ],
  });
  // One client connection, kept alive across every change: its local port must never change.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ask = () =>
    new Promise<{ backend: string; localPort: number }>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (res) => {
        const localPort = res.socket.localPort!;
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          else resolve({ backend: String(res.headers['x-backend']), localPort });
        });
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', reject);
    });
  try {
    await router.apply(state(100));
    const master = router.pidOf('reload')!;
    const workers = await startedWorkers(master);
    assert.notEqual(workers, '');
    const first = await ask();
    assert.equal(first.backend, 'a');
    let stop = false;
    const background = (async () => {
      let failed = 0;
      for (let i = 0; i < 500 && !stop; i++) failed += (await load(`http://127.0.0.1:${port}`, 20)).failed;
      return failed;
    })();
    for (const w of [0, 100, 90, 75, 50, 25, 0]) {
      await router.setWeights('reload', { v1: w, v2: 100 - w });
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const r = await ask();
        assert.equal(r.localPort, first.localPort, `the kept-alive connection was closed at v1 ${w}%`);
        seen.add(r.backend);
      }
      if (w === 0) assert.deepEqual([...seen], ['b']);
      if (w === 100) assert.deepEqual([...seen], ['a']);
      if (w === 50) assert.deepEqual([...seen].sort(), ['a', 'b']);
    }
    stop = true;
    assert.equal(await background, 0, 'requests failed under weight changes');
    assert.equal(workerPids(master), workers, 'the nginx workers changed: a weight change reloaded nginx');
    assert.equal(router.reloads, 0);

    // A new release and its backends are a routes file too: same workers, same client connection.
    await router.apply({
      ...state(0),
      releases: [...state(0).releases, { release: 'v3', weight: 0, backends: [c.backend] }],
    });
    await router.setWeights('reload', { v1: 0, v2: 0, v3: 100 });
    const onNew = await ask();
    assert.equal(onNew.backend, 'c');
    assert.equal(onNew.localPort, first.localPort, 'a new release closed the kept-alive connection');
    assert.equal(router.reloads, 0);
    assert.equal(workerPids(master), workers);
  } finally {
    agent.destroy();
    await router.close();
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

test('nginx: a backend that stops listening, or answers its health check with errors, is routed around without a reload', {
  skip: nginxSkip,
}, async () => {
  const router = new NginxRouter();
  const [a, b, c] = [await startBackend('a'), await startBackend('b'), await startBackend('c')];
  const port = await freePort();
  try {
    await router.apply({
      env: 'gone',
      listen: { host: '127.0.0.1', port },
      health: { path: '/health', intervalMs: 100, timeoutMs: 500 },
      releases: [{ release: 'v1', weight: 100, backends: [a.backend, b.backend, c.backend] }],
    });
    const master = router.pidOf('gone')!;
    const workers = await startedWorkers(master);
    // a's process goes away (its port refuses connections) while clients keep sending.
    const during = load(`http://127.0.0.1:${port}`, 300);
    await a.close();
    assert.equal((await during).failed, 0, 'requests failed while a backend went away');
    await new Promise((r) => setTimeout(r, 500)); // several health rounds
    assert.equal(router.reloads, 0, 'a backend refusing connections reloaded nginx');
    assert.equal(workerPids(master), workers);
    assert.equal((await load(`http://127.0.0.1:${port}`, 100)).failed, 0);
    // b answers its health check with 500: alive but unhealthy, it leaves the routes file.
    b.setHealth(500);
    const deadline = Date.now() + 5000;
    let last = await load(`http://127.0.0.1:${port}`, 50);
    while (last.byBackend.has('b') && Date.now() < deadline)
      last = await load(`http://127.0.0.1:${port}`, 50);
    assert.deepEqual([...last.byBackend.keys()], ['c']);
    assert.equal(router.reloads, 0);
    assert.equal(workerPids(master), workers);
  } finally {
    await router.close();
    await Promise.all([b.close(), c.close()]);
  }
});

test('nginx: a cookie user lands on the release the builtin router would pick for them', {
  skip: nginxSkip,
}, async () => {
  const router = new NginxRouter();
  const [a, b] = [await startBackend('a'), await startBackend('b')];
  const port = await freePort();
  try {
    await router.apply({
      env: 'cookie',
      listen: { host: '127.0.0.1', port },
      releases: [
        { release: 'v1', weight: 60, backends: [a.backend] },
        { release: 'v2', weight: 40, backends: [b.backend] },
      ],
      stickiness: { kind: 'cookie', name: 'uid' },
    });
    for (let i = 0; i < 60; i++) {
      const user = `user ${i}/é`;
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { cookie: `theme=dark; uid=${encodeURIComponent(user)}` },
      });
      await res.arrayBuffer();
      const want = pickSticky(stickyPoint(user), [60, 40], [true, true]) === 1 ? 'b' : 'a';
      assert.equal(res.headers.get('x-backend'), want, user);
    }
  } finally {
    await router.close();
    await Promise.all([a.close(), b.close()]);
  }
});
