/**
 * Fault: the control plane is killed (SIGKILL) at every step boundary of a canary deployment.
 * `slipway deploy` runs as its own process against a real `slipway agent`, with the example app
 * under continuous loopback load; a preload (test/fixtures/stop-at-boundary.ts) holds the deploy
 * process right after the store write that ends step i, the test kills it with SIGKILL, then
 * `slipway resume production` (another process) must finish the deployment. Every run must end
 * succeeded with only the new release serving; one more, left unwatched longer than allowed, is
 * rolled back on resume; the load must see no failed request.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { startLoad } from '../src/engine/testing.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, cliProcess } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 2
  stopTimeout: 2s
environments:
  production:
    profile: fast
    strategy:
      canary: { steps: [{ weight: 25, pause: 300ms }, { weight: 50, analysis: { duration: 1s } }, { weight: 100 }] }
    smoke: [{ get: "/slow?ms=100" }]
    watch: 500ms
`;
/** preflight, start, smoke, shift 25, smoke, pause, shift 50, smoke, analysis, shift 100, smoke, watch, finalize. */
const STEPS = 13;
const BIN = join(repoRoot, 'bin/slipway.js');
const HOOK = join(repoRoot, 'test/fixtures/stop-at-boundary.ts');

/** Runs `slipway deploy` until it stops at the boundary after step `step`, then SIGKILLs it. */
function deployKilledAfter(cwd: string, version: string, step: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '--import',
        HOOK,
        BIN,
        'deploy',
        version,
        '--env',
        'production',
      ],
      { cwd, env: { ...process.env, SLIPWAY_STOP_AFTER_STEP: String(step) } },
    );
    let out = '';
    let killed = false;
    const onData = (c: Buffer) => {
      out += c;
      if (!killed && out.includes(`STOPPED-AT-BOUNDARY ${step}`)) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      killed && signal === 'SIGKILL'
        ? resolve(out)
        : reject(new Error(`deploy ended (${code ?? signal}) before boundary ${step}:\n${out}`)),
    );
  });
}

describe('killing the control plane at every step boundary of a canary', () => {
  const dir = tempDir('slipway-kill-');
  let agent: ChildProcess;
  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    for (const v of ['1.0.0', '2.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      const made = await cli(dir.path, 'release', 'create', '--version', v, '--ci', 'passed', join('b', v));
      assert.equal(made.code, 0, made.stderr);
    }
    agent = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', BIN, 'agent'], {
      cwd: dir.path,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) =>
      agent.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve()),
    );
  });
  after(async () => {
    await connectLocalAgent(join(dir.path, '.slipway', 'agent'))
      .deleteEnv('production')
      .catch(() => {});
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    dir.cleanup();
  });

  // Thirteen deploy-kill-resume runs: about 100 s on a quiet machine, 250 s at a load average of 8.
  test('every run resumes to succeeded, one left unwatched too long rolls back; the load sees no failed request', {
    timeout: 600_000,
  }, async () => {
    const first = await cliProcess(dir.path, 'deploy', '1.0.0', '--env', 'production');
    assert.equal(first.code, 0, first.stderr);
    const client = connectLocalAgent(join(dir.path, '.slipway', 'agent'));
    const port = (await client.desired('production'))?.listen.port as number;
    const load = startLoad({ url: `http://127.0.0.1:${port}/api/products`, workers: 4, gapMs: 25 });
    const versions = ['2.0.0', '1.0.0'];
    // When each boundary's run began, on the load's clock: a failure's `+Nms` places it.
    const loadStarted = Date.now();
    const timeline: string[] = [];
    try {
      // Boundary i: step i's end is stored, step i+1 has not begun. The last step's end is the outcome.
      for (let step = 0; step < STEPS - 1; step++) {
        const version = versions[step % 2] as string;
        timeline.push(`boundary ${step} (${version}) from +${Date.now() - loadStarted}ms`);
        const killed = await deployKilledAfter(dir.path, version, step);
        const resumed = await cliProcess(dir.path, 'resume', 'production');
        assert.equal(resumed.code, 0, `boundary ${step}: ${resumed.stdout}${resumed.stderr}`);
        assert.match(killed, new RegExp(`STOPPED-AT-BOUNDARY ${step} OF ${STEPS}\\n`), 'the plan counted on');
        const [last] = JSON.parse(
          (await cli(dir.path, '--json', 'history', '--env', 'production', '--limit', '1')).stdout,
        ) as { status: string; releaseId: string }[];
        assert.equal(last?.status, 'succeeded', `boundary ${step}`);
        const status = await client.status('production');
        assert.deepEqual(
          status.releases.map((r) => [
            r.release,
            r.weight,
            r.instances.filter((i) => i.state === 'healthy').length,
          ]),
          [[last?.releaseId, 100, 2]],
          `boundary ${step}: only the new release serves`,
        );
      }

      // Not safe to resume: the release took traffic and nobody watched it for longer than allowed
      // (SLIPWAY_RESUME_WITHIN_MS stands in for the default 10 minutes). Resume rolls it back.
      const serving = (await client.status('production')).releases[0]?.release;
      await deployKilledAfter(dir.path, versions[(STEPS - 1) % 2] as string, 3);
      await new Promise((r) => setTimeout(r, 1500));
      process.env.SLIPWAY_RESUME_WITHIN_MS = '1000';
      const late = await cliProcess(dir.path, 'resume', 'production').finally(() => {
        delete process.env.SLIPWAY_RESUME_WITHIN_MS;
      });
      assert.equal(late.code, 1, late.stdout + late.stderr);
      const [stale] = JSON.parse(
        (await cli(dir.path, '--json', 'history', '--env', 'production', '--limit', '1')).stdout,
      ) as { status: string; reason: string }[];
      assert.equal(stale?.status, 'rolled_back');
      assert.match(stale?.reason ?? '', /the control plane was away for \d+s while the release took traffic/);
      assert.deepEqual(
        (await client.status('production')).releases.map((r) => [r.release, r.weight, r.instances.length]),
        [[serving, 100, 2]],
      );
    } finally {
      const figures = await load.stop();
      console.log(`load during the kills: ${JSON.stringify(figures)}`);
      assert.ok(figures.ok > 500, 'the load ran');
      assert.deepEqual(figures.failures, [], `no request failed; runs: ${timeline.join(', ')}`);
    }
  });
});
