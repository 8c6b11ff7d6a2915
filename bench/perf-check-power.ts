/**
 * The performance step's power (issue 19, b): across BENCH_RUNS runs (default 20) a release with
 * +30% latency must be flagged every time and an unchanged one never. As a user runs it: `slipway
 * agent` as its own process (builtin router), `slipway deploy` (the control plane, which runs
 * autocannon) in this one, real instances of the example shop with a baked-in latency (faults.json
 * latencyMs, ±20% per request), blue-green, so the previous release is measured side by side.
 * Each run deploys an unchanged release (must pass and go live) and a +30% one (must fail the step
 * and roll back); the paired p50 and p95 ratios of each are printed.
 *
 *   node bench/perf-check-power.ts        # ~6 min; BENCH_RUNS=5 for a quick look, BENCH_BASE_MS=20
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectLocalAgent } from '../src/agent/client.ts';
import { openStore } from '../src/store/factory.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli } from '../test/cli-helpers.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const BASE_MS = Number(process.env.BENCH_BASE_MS ?? 50);
const SLOW_MS = Math.round(BASE_MS * 1.3);
const LIMITS = process.env.BENCH_LIMITS ?? '{ p50: 1.15x, p95: 1.5x }';
const YAML = `app: shop
run: { command: node server.js, instances: 1, health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 20s }, stopTimeout: 2s }
environments:
  perf:
    strategy: { blue-green: { warmFor: 10m } }
    profile: fast
    performance:
      rate: 100/s
      duration: 10s
      connections: 20
      endpoints: [/, /api/products]
      maxRegression: ${LIMITS}
`;

const dir = tempDir('slipway-perf-power-');
writeFileSync(join(dir.path, 'slipway.yaml'), YAML);
const release = async (version: string, latencyMs: number) => {
  const to = join(dir.path, 'b', version);
  cpSync(join(repoRoot, 'examples/shop/app'), to, { recursive: true });
  writeFileSync(join(to, 'VERSION'), version);
  writeFileSync(join(to, 'faults.json'), JSON.stringify({ latencyMs }));
  const r = await cli(dir.path, 'release', 'create', '--version', version, '--ci', 'passed', to);
  assert.equal(r.code, 0, r.stderr);
};
const agent: ChildProcess = spawn(
  process.execPath,
  ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), 'agent'],
  { cwd: dir.path, stdio: ['ignore', 'pipe', 'inherit'] },
);
await new Promise<void>((resolve) =>
  agent.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve()),
);
const outcome = async (version: string, latencyMs: number) => {
  await release(version, latencyMs);
  const r = await cli(dir.path, 'deploy', version, '--env', 'perf');
  const store = await openStore(undefined, dir.path);
  const [rec] = await store.performance.list('shop', 'perf', 1).finally(() => store.close());
  const b = rec?.baseline;
  return {
    code: r.code,
    verdict: rec?.verdict,
    ratio: b?.paired?.p50 ?? Number.NaN,
    p95: b?.paired?.p95 ?? Number.NaN,
    detail: b ? `p50 ${rec.figures.p50}/${b.figures.p50} p95 ${rec.figures.p95}/${b.figures.p95} ms` : '',
  };
};
const started = Date.now();
try {
  const first = await outcome('1.0.0', BASE_MS);
  assert.equal(first.code, 0, 'the first release goes live');
  const unchanged: number[] = [];
  const slow: number[] = [];
  const unchanged95: number[] = [];
  const slow95: number[] = [];
  let falseAlarms = 0;
  let caught = 0;
  for (let i = 1; i <= RUNS; i++) {
    const u = await outcome(`1.${i}.0`, BASE_MS);
    if (u.verdict === 'fail') falseAlarms++;
    unchanged.push(u.ratio);
    unchanged95.push(u.p95);
    const s = await outcome(`2.${i}.0`, SLOW_MS);
    if (s.verdict === 'fail' && s.code !== 0) caught++;
    slow.push(s.ratio);
    slow95.push(s.p95);
    console.log(
      `run ${i}: unchanged ${u.verdict} p50 ${u.ratio.toFixed(2)}x p95 ${u.p95.toFixed(2)}x [${u.detail}]; +30% ${s.verdict} p50 ${s.ratio.toFixed(2)}x p95 ${s.p95.toFixed(2)}x [${s.detail}]`,
    );
  }
  const range = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${s[0]?.toFixed(2)}x–${s.at(-1)?.toFixed(2)}x (median ${s[Math.floor(s.length / 2)]?.toFixed(2)}x)`;
  };
  console.log(
    `\nservice time ${BASE_MS} ms vs ${SLOW_MS} ms, maxRegression ${LIMITS} (paired slices), ${((Date.now() - started) / 60_000).toFixed(1)} min`,
  );
  console.log(`+30% latency flagged ${caught}/${RUNS}; unchanged flagged ${falseAlarms}/${RUNS}`);
  console.log(`paired p50 ratio, unchanged: ${range(unchanged)}; +30%: ${range(slow)}`);
  console.log(`paired p95 ratio, unchanged: ${range(unchanged95)}; +30%: ${range(slow95)}`);
} finally {
  await connectLocalAgent(join(dir.path, '.slipway', 'agent'))
    .deleteEnv('perf')
    .catch(() => {});
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  dir.cleanup();
}
