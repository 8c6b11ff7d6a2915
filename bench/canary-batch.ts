/**
 * Canary verdicts in bulk (issue 4, b/c/d). Each build of the example shop answers with a
 * realistic latency (60 ms ± 20% uniform, plus this shared machine's own jitter). 50 healthy
 * canary deployments (goal: 0 rolled back) and 50 with one injected regression each, in turn
 * 5% errors, 2× latency (p95 2× the stable's) and a crash loop (goal: 50 rolled back). The
 * deployments run PARALLEL at a time, each in its own environment with its own light load
 * (3 clients), with the fast profile: canary at 50% with a 14 s analysis, then 100%, 1 s watch.
 * For each regression: the failed user requests the faulty release answered itself before the
 * rollback, and those beyond (no answer, or 5xx from anyone else) — goal 0 beyond. A regression
 * that is not caught becomes the stable release; a healthy build is then deployed again (not
 * counted) so that the next deployment is judged against a healthy stable release.
 *
 *   node bench/canary-batch.ts                 # 100 deployments, ~4 min
 *   BENCH_EACH=10 node bench/canary-batch.ts   # 10 healthy + 10 faulty
 *   BENCH_NOISE_ERRORS=0.02 node bench/canary-batch.ts
 *   BENCH_KINDS='errors 10%,p95 3x,errors 3% vs stable' node bench/canary-batch.ts
 *   BENCH_PARALLEL=4 BENCH_CLIENTS=12 BENCH_ANALYSIS=60 node bench/canary-batch.ts
 *
 * How many requests a side an analysis sees decides what it can tell apart: the defaults (3
 * clients a lane, 14 s) give ~250, too few to show 5% errors beside a stable 2%; the last line
 * gives ~4,800 (bench/README, "Sequential analysis, round 4").
 */
import type { Deployment } from '../src/domain/types.ts';
import { startEngineBench } from './engine-bench.ts';
import { isFailure, type Sample, sleep, streamLoad } from './stream-load.ts';

const EACH = Number(process.env.BENCH_EACH ?? 50);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 8);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 3);
/** The canary step's analysis, in seconds: a healthy canary runs all of it. */
const ANALYSIS_S = Number(process.env.BENCH_ANALYSIS ?? 14);
/**
 * BENCH_TEST=sequential (default): the defaults, sequential tests beside the fixed triggers;
 * BENCH_TEST=threshold: the fixed triggers alone (`errorRate.test: threshold`, `latency.test:
 * ratio`), wave 1's configuration; BENCH_TEST=sequential-only: the sequential error-rate tests without
 * the fixed limit. BENCH_NOISE_ERRORS=0.02 gives every build, healthy ones too,
 * that share of 5xx (noisy but within the 5% limit).
 */
const TEST = process.env.BENCH_TEST ?? 'sequential';
const NOISE = Number(process.env.BENCH_NOISE_ERRORS ?? 0);
const BASE = { latencyMs: 60, ...(NOISE > 0 && { errorRate: NOISE }) };
const ALL_REGRESSIONS: Record<string, Record<string, unknown>> = {
  'errors 5%': { ...BASE, errorRate: 0.05 },
  'p95 2x': { ...BASE, latencyMs: 120 },
  'crash loop': { ...BASE, crash: true },
  // Not in the issue's list; for finding where the latency rule starts to catch (BENCH_KINDS).
  'p95 2.5x': { ...BASE, latencyMs: 150 },
  'errors 10%': { ...BASE, errorRate: 0.1 },
  'errors 20%': { ...BASE, errorRate: 0.2 },
  'p95 3x': { ...BASE, latencyMs: 180 },
  // Past the 2× trigger end to end even with this machine's queueing added to both sides.
  'p95 5x': { ...BASE, latencyMs: 300 },
  // Under the 5% limit, but worse than the stable release (whose noise is BENCH_NOISE_ERRORS).
  'errors 3% vs stable': { ...BASE, errorRate: 0.03 },
  'errors 4% vs stable': { ...BASE, errorRate: 0.04 },
};
const REGRESSIONS = Object.fromEntries(
  (process.env.BENCH_KINDS ?? 'errors 5%,p95 2x,crash loop').split(',').map((k) => [k, ALL_REGRESSIONS[k]!]),
);
const ENVS = Array.from({ length: PARALLEL }, (_, i) => `e${i}`);
const envYaml = (e: string) => `  ${e}:
    profile: fast${
      TEST === 'sequential'
        ? ''
        : TEST === 'sequential-only'
          ? '\n    rollbackIf: { errorRate: { above: 5%, test: sequential-only } }'
          : '\n    rollbackIf: { errorRate: { above: 5%, test: threshold }, latency: { p95AboveBaseline: 2x, test: ratio } }'
    }
    strategy:
      canary:
        steps: [{ weight: 50, analysis: { duration: ${ANALYSIS_S}s } }, { weight: 100 }]
    watch: 1s`;
const YAML = `app: shop
run: { command: node server.js, instances: 1, health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 10s }, stopTimeout: 2s }
environments:
${ENVS.map(envYaml).join('\n')}
`;

interface Result {
  readonly kind: string;
  readonly status: string;
  readonly reason: string;
  readonly ms: number;
  readonly faultyErrors: number;
  readonly beyond: number;
  /** What the failures beyond the faulty release's own were (error codes or statuses). */
  readonly beyondWhy: string[];
}

const jobs: { kind: string; faults: Record<string, unknown> }[] = [];
const kinds = Object.keys(REGRESSIONS);
for (let i = 0; i < EACH; i++) {
  jobs.push({ kind: 'healthy', faults: BASE });
  const kind = kinds[i % kinds.length]!;
  jobs.push({ kind, faults: REGRESSIONS[kind]! });
}

const bench = await startEngineBench(YAML);
const stopOnSignal = () => void bench.close().finally(() => process.exit(130));
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);

/**
 * A deployment's end. An analysis that cannot decide pauses the deployment (the profile's
 * `inconclusive: pause`), which would wait for a human: it is recorded as such and aborted, so
 * the batch goes on. Bounded: a deployment not over 76 s after its analysis's length is aborted too.
 */
async function settle(id: string, run: Promise<Deployment>): Promise<Deployment & { paused?: string }> {
  const deadline = performance.now() + (ANALYSIS_S + 76) * 1000;
  let paused: string | undefined;
  for (;;) {
    const over = await Promise.race([run, sleep(500).then(() => undefined)]);
    if (over) return paused ? { ...over, paused } : over;
    const now = await bench.h.store.getDeployment(id);
    if (!paused && (now?.status === 'paused' || performance.now() > deadline)) {
      const timeline = (now?.state as { engine?: { timeline?: { what: string }[] } })?.engine?.timeline;
      paused =
        now?.status === 'paused'
          ? (timeline?.at(-1)?.what ?? 'paused')
          : `not over after ${ANALYSIS_S + 76} s`;
      await bench.executor.transition(id, { type: 'abort', at: Date.now(), by: 'bench', reason: paused });
    }
  }
}
const results: Result[] = [];
let n = 0;
const started = performance.now();
async function deployReset(env: string, version: string): Promise<[string, Promise<Deployment>]> {
  const d = await bench.deploy(env, version, BASE);
  return [d.id, d.run];
}

async function lane(env: string): Promise<void> {
  // The first release of each lane; on a busy machine its instance may miss its start timeout.
  for (let attempt = 0; ; attempt++) {
    const first = await (await bench.deploy(env, `1.${env}.${attempt}`, BASE)).run;
    if (first.status === 'succeeded') break;
    if (attempt === 2) throw new Error(`lane ${env}: first release ${first.status}: ${first.reason}`);
  }
  const port = await bench.port(env);
  const load = streamLoad(`http://127.0.0.1:${port}/api/products`, {
    concurrency: CLIENTS,
    header: 'x-shop-version',
    gapMs: 10,
    timeoutMs: 5000,
  });
  try {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const version = `2.${env}.${n++}`;
      const from = performance.now();
      const d = await bench.deploy(env, version, job.faults);
      const done = await settle(d.id, d.run);
      const to = performance.now();
      await sleep(300);
      // With noise on, every build answers its share of 5xx, the stable ones too: those are the
      // builds' own answers, not failures of the rollout.
      const mine = load.samples.filter(
        (s: Sample) =>
          s.end >= from &&
          s.end < to + 300 &&
          isFailure(s) &&
          !(NOISE > 0 && s.side && s.side !== version && s.status >= 500),
      );
      results.push({
        kind: job.kind,
        status: done.paused ? 'paused' : done.status,
        reason: (done.paused ?? done.reason ?? '').split('\n')[0] ?? '',
        ms: to - from,
        faultyErrors: mine.filter((s) => s.side === version && s.status >= 500).length,
        beyond: mine.filter((s) => !(s.side === version && s.status >= 500)).length,
        beyondWhy: mine
          .filter((s) => !(s.side === version && s.status >= 500))
          .map(
            (s) => `${s.error ?? s.status}${s.side ? ` from ${s.side === version ? 'new' : 'stable'}` : ''}`,
          ),
      });
      // A regression that was not caught became the stable release: put a healthy one back
      // (not counted), so the next deployment is judged against a healthy baseline.
      if (job.kind !== 'healthy' && done.status === 'succeeded')
        await settle(...(await deployReset(env, `2.${env}.${n++}-reset`)));
      process.stderr.write(
        `${results.length}/${EACH * 2} ${env} ${job.kind}: ${done.paused ? 'paused+aborted' : done.status} ${(done.paused ?? done.reason ?? '').split('\n')[0]}\n`,
      );
    }
  } finally {
    await load.stop();
  }
}

try {
  await Promise.all(ENVS.map(lane));
} finally {
  await bench.close();
}

const total = ((performance.now() - started) / 1000).toFixed(0);
console.log(
  `${results.length} canary deployments, ${PARALLEL} at a time, ${CLIENTS} clients each, fast profile, ${ANALYSIS_S} s analysis at 50%, test ${TEST}, ${NOISE * 100}% errors in every build, in ${total} s; loopback`,
);
console.log(
  'kind         runs  succeeded  rolled back  failed  paused  median s  faulty-release 5xx  failed beyond',
);
for (const kind of ['healthy', ...kinds]) {
  const rs = results.filter((r) => r.kind === kind);
  const count = (st: string) => rs.filter((r) => r.status === st).length;
  const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
  console.log(
    [
      kind.padEnd(11),
      String(rs.length).padStart(5),
      String(count('succeeded')).padStart(10),
      String(count('rolled_back')).padStart(12),
      String(count('failed')).padStart(7),
      String(count('paused')).padStart(7),
      ((ms[Math.floor(ms.length / 2)] ?? 0) / 1000).toFixed(1).padStart(9),
      String(rs.reduce((a, r) => a + r.faultyErrors, 0)).padStart(19),
      String(rs.reduce((a, r) => a + r.beyond, 0)).padStart(14),
    ].join(' '),
  );
}
const reasons = new Map<string, number>();
const count = (key: string) => reasons.set(key, (reasons.get(key) ?? 0) + 1);
for (const r of results.filter((x) => x.status !== 'succeeded'))
  count(`${r.kind} → ${r.status}: ${r.reason.slice(0, 70).replace(/rel-[0-9a-f]+|\d+(\.\d+)?/g, '…')}`);
for (const r of results) for (const why of r.beyondWhy) count(`${r.kind}: failed beyond: ${why}`);
for (const [k, v] of reasons) console.log(`  ${v} × ${k}`);
const healthyRolled = results.filter((r) => r.kind === 'healthy' && r.status !== 'succeeded').length;
const caught = results.filter(
  (r) => r.kind !== 'healthy' && (r.status === 'rolled_back' || r.status === 'failed'),
).length;
const beyond = results.reduce((a, r) => a + r.beyond, 0);
console.log(`goal healthy → 0 rolled back: ${healthyRolled} ${healthyRolled === 0 ? 'met' : 'NOT met'}`);
console.log(`goal regressions → ${EACH} rolled back: ${caught} ${caught === EACH ? 'met' : 'NOT met'}`);
console.log(
  `goal 0 failed requests beyond the faulty release's own: ${beyond} ${beyond === 0 ? 'met' : 'NOT met'}`,
);
