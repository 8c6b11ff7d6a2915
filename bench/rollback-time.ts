/**
 * Time from a fault's start to all traffic back on the stable release (issue 4, a). Under
 * continuous load (8 clients), a canary of a healthy 2.0.0 takes 50% beside 1.0.0 and runs
 * healthy for 11 s (the fast profile's 10 s error window full of good numbers: the hard case);
 * then its fault switch is flipped at run time (POST /__faults {errorRate: 0.2}, sent to the
 * canary through the preview header). Measured for real with the fast profile; the defaults and
 * the peers are computed from their configured windows (printed as "computed").
 *
 *   node bench/rollback-time.ts        # ~30 s; BENCH_RUNS=3 for more runs
 */
import { startEngineBench } from './engine-bench.ts';
import { isFailure, sleep, streamLoad } from './stream-load.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const FAULT = 0.2;
const YAML = `app: shop
run: { command: node server.js, instances: 1, health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 20s }, stopTimeout: 2s }
environments:
  bench:
    profile: fast
    strategy:
      canary:
        steps: [{ weight: 50, analysis: { duration: 60s } }, { weight: 100 }]
    watch: 1s
`;

const bench = await startEngineBench(YAML);
const rows: {
  detectMs: number;
  lastFaultyMs: number;
  faultyErrors: number;
  otherFailures: number;
  status: string;
}[] = [];
try {
  await (await bench.deploy('bench', '1.0.0')).run;
  const port = await bench.port('bench');
  for (let i = 0; i < RUNS; i++) {
    const version = `2.0.${i}`;
    const load = streamLoad(`http://127.0.0.1:${port}/api/products`, {
      concurrency: 8,
      header: 'x-shop-version',
      gapMs: 5,
    });
    const d = await bench.deploy('bench', version);
    // Wait for the canary to take traffic, then let it run healthy for a full error window.
    while (!load.samples.some((s) => s.side === version)) await sleep(50);
    await sleep(11_000);
    const faultAt = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/__faults`, {
      method: 'POST',
      headers: { 'x-slipway-release': d.releaseId },
      body: JSON.stringify({ errorRate: FAULT }),
    });
    if (((await res.json()) as { errorRate?: number }).errorRate !== FAULT)
      throw new Error('the fault switch did not flip');
    const done = await d.run;
    const detectMs = performance.now() - faultAt;
    await sleep(500);
    const samples = await load.stop();
    const faulty = samples.filter((s) => s.side === version);
    const lastFaulty = Math.max(...faulty.map((s) => s.end));
    rows.push({
      status: done.status,
      detectMs,
      lastFaultyMs: lastFaulty - faultAt,
      faultyErrors: faulty.filter(isFailure).length,
      otherFailures: samples.filter((s) => isFailure(s) && s.side !== version).length,
    });
  }
} finally {
  await bench.close();
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(
  `fault: ${FAULT * 100}% errors flipped on a canary at 50% after 11 s healthy; 8 clients; loopback`,
);
console.log(
  'slipway fast profile (measured): status, fault → rollback done, fault → last answer from canary, canary 5xx, other failures',
);
for (const r of rows)
  console.log(
    `  ${r.status.padEnd(12)} ${s(r.detectMs).padStart(7)} ${s(r.lastFaultyMs).padStart(7)} ${String(r.faultyErrors).padStart(5)} ${String(r.otherFailures).padStart(5)}`,
  );
const worst = Math.max(...rows.map((r) => r.lastFaultyMs));
console.log(`goal fast profile ≤ 10 s: ${s(worst)} ${worst <= 10_000 ? 'met' : 'NOT met'}`);
// Computed from configured windows: an error-rate window of W holding fraction t/W of faulty
// traffic reads FAULT·t/W; it crosses 5% at t = W·0.05/FAULT; the next check (interval I) acts.
const cross = (windowS: number) => (windowS * 0.05) / FAULT;
console.log(
  'computed from configured settings, same fault (20% errors), canary healthy for a full window before:',
);
console.log(`  slipway defaults (10 min window, 30 s interval): ${cross(600)}–${cross(600) + 30} s`);
console.log(
  `  slipway fast profile (10 s window, 1 s interval): ${cross(10)}–${cross(10) + 1} s (compare with the measured figure)`,
);
console.log(
  '  Flagger docs (interval 1m "default 60s", threshold 5 "max number of failed metric checks before rollback"): first failed check 0–60 s, rollback at the 5th: 240–300 s',
);
console.log(
  '  Argo Rollouts docs example (interval 5m, failureLimit 3): first failed measurement 0–5 min; "three such measurements" (the docs\' words): 10–15 min; the controller fails at failed > failureLimit, the 4th: 15–20 min',
);
