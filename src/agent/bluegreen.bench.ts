/**
 * Measures, on this machine, with the example app and the tiny test proxy:
 * - start → healthy of one instance (runtime.start through the agent, 1 instance)
 * - blue-green switch and rollback switch times (client → agent → router), as returned by the helpers
 * - agent restart → all instances re-adopted and routed (runAgent resolves after restore)
 * Bounded: `ROUNDS` deploy/rollback rounds (default 10). Run:
 *   node_modules/.bin/node src/agent/bluegreen.bench.ts
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tempDir } from '../testing.ts';
import { deployBlueGreen, rollbackBlueGreen } from './bluegreen.ts';
import { createAgentClient } from './client.ts';
import { runAgent } from './main.ts';
import { exampleRelease } from './testing.ts';
import { TinyProxyRouter } from './tiny-proxy.ts';

const rounds = Number(process.env.ROUNDS ?? 10);
const release = tempDir('slipway-bench-release-');
const state = tempDir('slipway-bench-agent-');
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2);
};

let running = await runAgent({ stateDir: state.path, router: new TinyProxyRouter() });
const token = readFileSync(running.tokenFile, 'utf8').trim();
let client = createAgentClient({ url: running.url, token });
const starts: number[] = [];
const switches: number[] = [];
const rollbacks: number[] = [];
try {
  let t = performance.now();
  await deployBlueGreen(client, 'bench', exampleRelease(release.path, 'r0'), {
    warmMs: 600_000,
    listen: { port: 0 },
  });
  starts.push(performance.now() - t);
  for (let round = 1; round <= rounds; round++) {
    t = performance.now();
    const deployed = await deployBlueGreen(client, 'bench', exampleRelease(release.path, `r${round}`), {
      warmMs: 600_000,
    });
    starts.push(performance.now() - t - deployed.switchMs);
    switches.push(deployed.switchMs);
    const back = await rollbackBlueGreen(client, 'bench');
    if (back.outcome === 'switched') rollbacks.push(back.switchMs);
  }
  await running.close();
  t = performance.now();
  running = await runAgent({ stateDir: state.path, router: new TinyProxyRouter() });
  const restoreMs = performance.now() - t;
  client = createAgentClient({ url: running.url, token });
  console.log(`rounds: ${rounds}`);
  console.log(
    `deploy (start beside + healthy + switch + keep warm) ms: p50 ${pct(starts, 50)} max ${pct(starts, 100)}`,
  );
  console.log(`switch ms: p50 ${pct(switches, 50)} p95 ${pct(switches, 95)} max ${pct(switches, 100)}`);
  console.log(
    `rollback switch ms: p50 ${pct(rollbacks, 50)} p95 ${pct(rollbacks, 95)} max ${pct(rollbacks, 100)}`,
  );
  console.log(`agent restart with re-adoption ms: ${restoreMs.toFixed(1)}`);
} finally {
  for (const env of await client.statusAll()) await client.deleteEnv(env.env);
  await running.close();
  release.cleanup();
  state.cleanup();
}
