/**
 * CI → staging (issue 19, a): a CI job with only SLIPWAY_URL and a token registers a build of the
 * example shop with its JUnit report and deploys it to staging through the server, where it goes
 * live after smoke checks, an e2e command (`checks:`) and the performance step (measured side by
 * side with the previous release). Real processes: `slipway agent`, `slipway server`, and each
 * CI command its own `slipway` process. Prints the wall time of each part and each deployment
 * step (from the deployment's own step times, read through the API).
 *
 *   node bench/ci-to-staging.ts        # BENCH_RUNS=3 by default; ~1 min per run on a busy machine
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectLocalAgent } from '../src/agent/client.ts';
import { createApiClient } from '../src/cli/remote.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { type CliResult, initToken, startSlipway, stopProcess } from '../test/cli-helpers.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 500ms, timeout: 500ms, startTimeout: 20s }
  instances: 2
  stopTimeout: 2s
environments:
  staging:
    strategy: { blue-green: { warmFor: 10m } }
    profile: fast
    smoke: [{ get: /health }, { get: /api/products }]
    checks: [{ name: e2e, run: node e2e.mjs, timeout: 30s }]
    performance: { rate: 50/s, duration: 3s, connections: 4, endpoints: [/, /api/products], maxRegression: { p50: 2x, p95: 3x } }
    watch: 2s
`;
// What the staging e2e step runs (as scripts/demo.ts): the products answer through the new release.
const E2E = `const [h, v] = process.env.SLIPWAY_PREVIEW_HEADER.split(': ');
const res = await fetch(process.env.SLIPWAY_ENV_URL + '/api/products', { headers: { [h]: v } });
if (res.status !== 200 || !Array.isArray((await res.json()).products)) process.exit(1);
`;
const JUNIT = `<?xml version="1.0"?>
<testsuites><testsuite name="shop">
  <testcase classname="cart" name="adds"/><testcase classname="cart" name="totals"/>
  <testcase classname="catalog" name="lists"/>
</testsuite></testsuites>`;

const project = tempDir('slipway-bench-ci-project-');
const ci = tempDir('slipway-bench-ci-job-');
let agent: ChildProcess | undefined;
let server: ChildProcess | undefined;
let url = '';

/** `slipway ARGS` as the CI job runs it: its own process, only the server's address and a token. */
function job(token: string, ...argv: string[]): Promise<CliResult & { ms: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
    { cwd: ci.path, env: { ...process.env, SLIPWAY_URL: url, SLIPWAY_TOKEN: token, SLIPWAY_USER: '' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr, ms: performance.now() - started }));
  });
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

try {
  writeFileSync(join(project.path, 'slipway.yaml'), CONFIG);
  writeFileSync(join(project.path, 'e2e.mjs'), E2E);
  agent = (await startSlipway(project.path, ['agent'], /admin API on/, 30_000)).child;
  const started = await startSlipway(
    project.path,
    ['server', '--port', '0', '--init'],
    /API on http/,
    60_000,
  );
  server = started.child;
  url = /API on (http:\/\/[\d.:]+)/.exec(started.out())?.[1] as string;
  const admin = initToken(started.out());
  assert.equal((await job(admin, 'user', 'add', 'ci', '--role', 'deployer')).code, 0);
  const created = await job(admin, 'token', 'create', '--user', 'ci', '--name', 'ci');
  const token = /^(slw_\S+)$/m.exec(created.stdout)?.[1] as string;
  assert.ok(token, created.stderr);
  writeFileSync(join(ci.path, 'junit.xml'), JUNIT);
  const api = createApiClient({ url, token });

  const ship = async (version: string) => {
    const build = join(ci.path, `build-${version}`);
    cpSync(join(repoRoot, 'examples/shop/app'), build, { recursive: true });
    writeFileSync(join(build, 'VERSION'), version);
    // The peer: what starting the CLI alone costs on this machine right now.
    const cliStart = (await job(token, '--version')).ms;
    const t0 = performance.now();
    const reg = await job(
      token,
      'release',
      'create',
      '--version',
      version,
      '--ci-report',
      'junit.xml',
      build,
    );
    assert.equal(reg.code, 0, reg.stderr);
    const depAt = Date.now();
    const dep = await job(token, 'deploy', version, '--env', 'staging');
    const depEnd = Date.now();
    assert.equal(dep.code, 0, dep.stdout + dep.stderr);
    const total = performance.now() - t0;
    const id = /(dep-[0-9a-f]+) succeeded/.exec(dep.stdout)?.[1] as string;
    const detail = await api.deployment(id);
    const steps = detail.steps.map((st) => ({
      name: st.name,
      ms: st.startedAt && st.endedAt ? Date.parse(st.endedAt) - Date.parse(st.startedAt) : 0,
    }));
    const perf = detail.timeline.filter((e) => /performance/.test(e.what)).at(-1)?.what ?? '';
    const first = Date.parse(detail.steps[0]?.startedAt ?? '');
    const last = Date.parse(detail.steps.at(-1)?.endedAt ?? '');
    return {
      cliStart,
      register: reg.ms,
      deploy: dep.ms,
      // The client's own start (Node, loading slipway), the API call, the server taking it up.
      before: first - depAt,
      // The last step's end to the client's exit: the event stream's end, the process's exit.
      after: depEnd - last,
      total,
      steps,
      report: reg.stdout.trim(),
      perf,
    };
  };

  // The first release has no previous one to compare with: shipped once, not counted.
  await ship('1.0.0');
  const runs: Awaited<ReturnType<typeof ship>>[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const r = await ship(`1.${i}.0`);
    runs.push(r);
    console.log(
      `run ${i}: ${s(r.total)} (register ${s(r.register)}, deploy ${s(r.deploy)}) — ${r.steps.map((st) => `${st.name} ${s(st.ms)}`).join(', ')}`,
    );
    if (i === 1) console.log(`  ${r.report}\n  ${r.perf.slice(0, 300)}`);
  }
  // One table: each part in each run, the steps in deployment order.
  const names = runs[0]?.steps.map((st) => st.name) ?? [];
  console.log(`\n| part | ${runs.map((_, i) => `run ${i + 1}`).join(' | ')} |`);
  console.log(`|---|${runs.map(() => '---|').join('')}`);
  const row = (label: string, pick: (r: (typeof runs)[number]) => number) =>
    console.log(`| ${label} | ${runs.map((r) => s(pick(r))).join(' | ')} |`);
  row('`release create --ci-report` (upload + register)', (r) => r.register);
  row('`deploy`: client start → first step', (r) => r.before);
  for (const [k, name] of names.entries()) row(`  step ${k + 1}: ${name}`, (r) => r.steps[k]?.ms ?? 0);
  row('`deploy`: last step → client exit', (r) => r.after);
  row('`deploy --env staging` (client process, start to exit)', (r) => r.deploy);
  row('peer: `slipway --version` (a CLI process start alone)', (r) => r.cliStart);
  row('**total: registered in CI → live on staging**', (r) => r.total);
} finally {
  await stopProcess(server);
  const agentClient = connectLocalAgent(join(project.path, '.slipway', 'agent'));
  await agentClient.deleteEnv('staging').catch(() => {});
  await stopProcess(agent);
  project.cleanup();
  ci.cleanup();
}
