/**
 * Time from a fault's start to all traffic back on the stable release (issue 4, a). Under
 * continuous load (8 clients), a canary of a healthy 2.0.0 takes 50% beside 1.0.0 and runs
 * healthy for 11 s (the fast profile's 10 s error window full of good numbers: the hard case);
 * then its fault switch is flipped at run time (POST /__faults {errorRate: 0.2}, sent to the
 * canary through the preview header). Measured for real: the fast profile with the threshold
 * judge, and the sequential error-rate test on the default profile (10-minute windows) and on the
 * fast one. The threshold judge on the default windows and the peers are computed from their
 * configured windows (printed as "computed").
 *
 *   node bench/rollback-time.ts        # ~1.5 min; BENCH_RUNS=3 for more runs
 */
import { startEngineBench } from './engine-bench.ts';
import { isFailure, sleep, streamLoad } from './stream-load.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const FAULT = 0.2;
/**
 * The configurations measured, each in its own environment: the fast profile with the threshold
 * judge (wave 1's measured figure), the default profile (10-minute windows) with the sequential
 * error-rate test, and the fast profile with it. BENCH_CONFIGS=default-sequential to pick some.
 */
const CONFIGS: Record<string, string> = {
  'fast-threshold': 'profile: fast',
  'default-sequential': 'profile: default\n    rollbackIf: { errorRate: { above: 5%, test: sequential } }',
  'fast-sequential': 'profile: fast\n    rollbackIf: { errorRate: { above: 5%, test: sequential } }',
};
const picked = (process.env.BENCH_CONFIGS ?? Object.keys(CONFIGS).join(',')).split(',');
const YAML = `app: shop
run: { command: node server.js, instances: 1, health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 20s }, stopTimeout: 2s }
environments:
${picked
  .map(
    (c) => `  ${c}:
    ${CONFIGS[c]}
    strategy:
      canary:
        steps: [{ weight: 50, analysis: { duration: 60s } }, { weight: 100 }]
    watch: 1s`,
  )
  .join('\n')}
`;

const bench = await startEngineBench(YAML);
const rows: {
  config: string;
  detectMs: number;
  lastFaultyMs: number;
  faultyErrors: number;
  canaryRps: number;
  otherFailures: number;
  status: string;
  steps: string[];
}[] = [];
try {
  for (const config of picked) {
    await (await bench.deploy(config, '1.0.0')).run;
    const port = await bench.port(config);
    for (let i = 0; i < RUNS; i++) {
      const version = `2.0.${i}`;
      const load = streamLoad(`http://127.0.0.1:${port}/api/products`, {
        concurrency: 8,
        header: 'x-shop-version',
        gapMs: 5,
      });
      const d = await bench.deploy(config, version);
      // Wait for the canary to take traffic, then let it run healthy for a full fast error window.
      while (!load.samples.some((s) => s.side === version)) await sleep(50);
      const canaryFrom = performance.now();
      await sleep(11_000);
      const faultAt = performance.now();
      const faultEpoch = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/__faults`, {
        method: 'POST',
        headers: { 'x-slipway-release': d.releaseId },
        body: JSON.stringify({ errorRate: FAULT }),
      });
      if (((await res.json()) as { errorRate?: number }).errorRate !== FAULT)
        throw new Error('the fault switch did not flip');
      const done = await d.run;
      const detectMs = performance.now() - faultAt;
      // Where the time went: the deployment's timeline after the fault (the failed verdict, the
      // rollback's steps), as offsets from the fault.
      const stored = await bench.h.store.getDeployment(d.id);
      const timeline =
        (stored?.state as { engine?: { timeline?: { at: number; what: string }[] } })?.engine?.timeline ?? [];
      const steps = timeline
        .filter((t) => t.at >= faultEpoch)
        .map((t) => `+${t.at - faultEpoch} ms ${t.what.slice(0, 60)}`);
      await sleep(500);
      const samples = await load.stop();
      const faulty = samples.filter((s) => s.side === version);
      const lastFaulty = Math.max(...faulty.map((s) => s.end));
      const healthy = faulty.filter((s) => s.end < faultAt).length;
      rows.push({
        config,
        status: done.status,
        detectMs,
        lastFaultyMs: lastFaulty - faultAt,
        faultyErrors: faulty.filter(isFailure).length,
        canaryRps: healthy / ((faultAt - canaryFrom) / 1000),
        otherFailures: samples.filter((s) => isFailure(s) && s.side !== version).length,
        steps,
      });
    }
  }
} finally {
  await bench.close();
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(
  `fault: ${FAULT * 100}% errors flipped on a canary at 50% after 11 s healthy; 8 clients; loopback`,
);
console.log(
  'measured: config, status, fault → rollback done, fault → last answer from canary, canary 5xx, canary req/s, other failures',
);
for (const r of rows)
  console.log(
    `  ${r.config.padEnd(19)} ${r.status.padEnd(12)} ${s(r.detectMs).padStart(7)} ${s(r.lastFaultyMs).padStart(7)} ${String(r.faultyErrors).padStart(5)} ${r.canaryRps.toFixed(0).padStart(6)} ${String(r.otherFailures).padStart(5)}`,
  );
for (const r of rows) console.log(`  ${r.config} timeline after the fault: ${r.steps.join(' | ')}`);
for (const [config, goal] of [
  ['fast-threshold', 10_000],
  ['default-sequential', 10_000],
  ['fast-sequential', 1_000],
] as const) {
  const mine = rows.filter((r) => r.config === config);
  if (mine.length === 0) continue;
  const worst = Math.max(...mine.map((r) => r.lastFaultyMs));
  console.log(`goal ${config} ≤ ${s(goal)}: worst ${s(worst)} ${worst <= goal ? 'met' : 'NOT met'}`);
}
// Computed from configured windows: an error-rate window of W holding fraction t/W of faulty
// traffic reads FAULT·t/W; it crosses 5% at t = W·0.05/FAULT; the next check (interval I) acts.
const cross = (windowS: number) => (windowS * 0.05) / FAULT;
console.log(
  'computed from configured settings, same fault (20% errors), canary healthy for a full window before:',
);
console.log(
  `  slipway defaults, threshold judge (10 min window, 30 s interval): ${cross(600)}–${cross(600) + 30} s`,
);
console.log(
  `  slipway fast profile (10 s window, 1 s interval): ${cross(10)}–${cross(10) + 1} s (compare with the measured figure)`,
);
console.log(
  '  Flagger docs (interval 1m "default 60s", threshold 5 "max number of failed metric checks before rollback"): first failed check 0–60 s, rollback at the 5th: 240–300 s',
);
console.log(
  '  Argo Rollouts docs example (interval 5m, failureLimit 3): first failed measurement 0–5 min; "three such measurements" (the docs\' words): 10–15 min; the controller fails at failed > failureLimit, the 4th: 15–20 min',
);
