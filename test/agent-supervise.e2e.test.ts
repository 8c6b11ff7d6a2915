/**
 * The supervised data plane end to end, through the CLI as a person runs it: `slipway agent
 * --supervise`, a deployment of the example app, kill -9 of the agent under steady load (nobody
 * restarts it by hand), then `slipway agent stop --instances`; and `agent install`/`uninstall` in
 * the plain supervisor mode. Real processes, loopback only.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { httpLoad, tally } from '../bench/http-load.ts';
import { connectLocalAgent } from '../src/agent/client.ts';
import { runningSupervisor } from '../src/agent/supervisor.ts';
import { isAlive } from '../src/runtime/process/proc.ts';
import { eventually } from '../src/runtime/process/testing.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cliProcess, startSlipway, stopProcess } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  instances: 2
  health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 20s }
  stopTimeout: 3s
environments:
  production:
    strategy: blue-green
    watch: 1s
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function project(): Promise<ReturnType<typeof tempDir>> {
  const dir = tempDir('slipway-supervise-');
  writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
  cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', '1.0.0'), { recursive: true });
  writeFileSync(join(dir.path, 'b', '1.0.0', 'VERSION'), '1.0.0');
  const created = await cliProcess(
    dir.path,
    'release',
    'create',
    '--version',
    '1.0.0',
    '--ci',
    'passed',
    'b/1.0.0',
  );
  assert.equal(created.code, 0, created.stderr);
  return dir;
}

const stateDir = (dir: string) => join(dir, '.slipway', 'agent');
const agentPid = (dir: string): number | null =>
  JSON.parse(readFileSync(join(stateDir(dir), 'agent.json'), 'utf8')).pid;
const instancePids = async (dir: string) =>
  (await connectLocalAgent(stateDir(dir)).status('production')).releases
    .flatMap((r) => r.instances.map((i) => i.pid))
    .sort();

describe('slipway agent --supervise', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  let supervisor: ChildProcess | undefined;
  after(async () => {
    if (dir) await cliProcess(dir.path, 'agent', 'stop', '--instances');
    await stopProcess(supervisor);
    dir?.cleanup();
  });

  test('kill -9 of the agent under steady load: restarted by the supervisor, no connection refused, no request lost to a retrying client, same instances; `agent stop --instances` leaves no process', async () => {
    dir = await project();
    const started = await startSlipway(dir.path, ['agent', '--supervise'], /admin API on/);
    supervisor = started.child;
    const deployed = await cliProcess(dir.path, 'deploy', '1.0.0', '--env', 'production');
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
    const status = await connectLocalAgent(stateDir(dir.path)).status('production');
    const url = `http://127.0.0.1:${status.listen.port}/api/products`;
    // Where production is served, said by deploy, status and the agent's log.
    const address = `http://127.0.0.1:${status.listen.port}`;
    assert.ok(deployed.stdout.includes(`served at ${address}`), deployed.stdout);
    const shown = await cliProcess(dir.path, 'status');
    assert.ok(shown.stdout.includes(`production → ${address}`), shown.stdout);
    await eventually(() => started.out().includes(`production → ${address}`) || undefined);
    const before = await instancePids(dir.path);
    const supervisorPid = runningSupervisor(stateDir(dir.path))?.pid;
    assert.equal(supervisorPid, supervisor.pid);

    const plain = httpLoad(url, { concurrency: 3, gapMs: 2, timeoutMs: 20_000 });
    const retrying = httpLoad(url, { concurrency: 3, gapMs: 2, timeoutMs: 20_000, retryReused: true });
    await sleep(800);
    const victim = agentPid(dir.path)!;
    process.kill(victim, 'SIGKILL');
    const reborn = await eventually(() => {
      const pid = agentPid(dir!.path);
      return pid !== null && pid !== victim ? pid : undefined;
    }, 30_000);
    await connectLocalAgent(stateDir(dir.path)).status('production');
    await sleep(800);
    const p = tally(await plain.stop());
    const r = tally(await retrying.stop());

    assert.equal(p.refused + r.refused, 0, `refused connections: plain ${p.why}; retrying ${r.why}`);
    assert.equal(r.failed, 0, `failed requests of the retrying client: ${r.why}`);
    // A request in flight on the killed agent's own connection ends with it (a plain client
    // without retries sees that); every other plain request is answered.
    assert.ok(p.failed <= 3, `plain client failures beyond the 3 requests in flight: ${p.why}`);
    assert.ok(p.total > 50 && r.total > 50, `too little load to mean anything: ${p.total}, ${r.total}`);
    assert.notEqual(reborn, victim);
    assert.equal(runningSupervisor(stateDir(dir.path))?.pid, supervisorPid, 'the same supervisor');
    assert.deepEqual(await instancePids(dir.path), before, 'the same instance pids');

    const stopped = await cliProcess(dir.path, 'agent', 'stop', '--instances');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`stopped the supervisor \\(pid ${supervisorPid}\\)`));
    assert.match(stopped.stdout, new RegExp(`stopped the agent \\(pid ${reborn}\\)`));
    for (const pid of before)
      assert.match(stopped.stdout, new RegExp(`instance of production .*\\(pid ${pid}\\)`));
    for (const pid of [supervisorPid!, reborn, ...before.filter((p) => p !== null)])
      assert.equal(isAlive(pid), false, `pid ${pid} left`);
    await eventually(() => supervisor?.exitCode !== null || undefined);
    assert.equal(supervisor.exitCode, 0);
  });
});

describe('slipway agent stop without a supervisor', () => {
  test('stops the agent started by hand (SIGTERM, waits until it is gone); with nothing running it says so', async () => {
    const dir = tempDir('slipway-stop-');
    try {
      writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
      const agent = (await startSlipway(dir.path, ['agent'], /admin API on/)).child;
      const stopped = await cliProcess(dir.path, 'agent', 'stop');
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, new RegExp(`^stopped the agent \\(pid ${agent.pid}\\)$`, 'm'));
      assert.equal(isAlive(agent.pid!), false);
      const again = await cliProcess(dir.path, 'agent', 'stop');
      assert.equal(again.code, 0);
      assert.match(again.stdout, /^no agent was running on /);
    } finally {
      dir.cleanup();
    }
  });
});

describe('a lost agent state file', () => {
  test('corrupt or deleted: the restarted agent keeps every instance running and `slipway agent rebuild` routes them again from the store (same pids); a request sent meanwhile waits and is answered', async () => {
    const dir = await project();
    let supervisor: ChildProcess | undefined;
    try {
      supervisor = (await startSlipway(dir.path, ['agent', '--supervise'], /admin API on/)).child;
      const deployed = await cliProcess(dir.path, 'deploy', '1.0.0', '--env', 'production');
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
      const port = (await connectLocalAgent(stateDir(dir.path)).status('production')).listen.port;
      const before = await instancePids(dir.path);
      const file = join(stateDir(dir.path), 'agent-state.json');

      for (const damage of ['corrupt', 'deleted'] as const) {
        if (damage === 'corrupt') writeFileSync(file, '{"version": 1, "envs": {"production": ');
        else rmSync(file);
        const victim = agentPid(dir.path)!;
        process.kill(victim, 'SIGKILL');
        await eventually(() => {
          const pid = agentPid(dir.path);
          return pid !== null && pid !== victim ? pid : undefined;
        }, 30_000);
        await assert.rejects(connectLocalAgent(stateDir(dir.path)).status('production'), {
          code: 'ENV_NOT_FOUND',
        });
        for (const pid of before) assert.equal(isAlive(pid!), true, `instance ${pid} was stopped`);
        if (damage === 'corrupt')
          assert.ok(readdirSync(stateDir(dir.path)).some((f) => f.startsWith('agent-state.json.corrupt-')));

        // The supervisor still holds the listener: this request waits in the backlog until routed.
        const waiting = fetch(`http://127.0.0.1:${port}/api/products`, {
          signal: AbortSignal.timeout(60_000),
        });
        const rebuilt = await cliProcess(dir.path, 'agent', 'rebuild');
        assert.equal(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr);
        assert.match(rebuilt.stdout, new RegExp(`production → http://127\\.0\\.0\\.1:${port} \\(rebuilt`));
        assert.equal((await waiting).status, 200, `${damage}: the request sent before the rebuild`);
        assert.deepEqual(await instancePids(dir.path), before, `${damage}: the same instances`);
      }
      const again = await cliProcess(dir.path, 'agent', 'rebuild');
      assert.match(again.stdout, /production → .* \(the agent holds it; left alone\)/);
    } finally {
      await cliProcess(dir.path, 'agent', 'stop', '--instances');
      await stopProcess(supervisor);
      dir.cleanup();
    }
  });
});

describe('slipway agent install (plain supervisor mode)', () => {
  test('install starts a supervised agent in the background that heals a kill -9; uninstall stops it and removes the script', async () => {
    const dir = await project();
    try {
      const installed = await cliProcess(dir.path, 'agent', 'install', '--plain');
      assert.equal(installed.code, 0, installed.stderr);
      const script = join(stateDir(dir.path), 'agent-start.sh');
      assert.match(installed.stdout, /plain supervisor mode/);
      assert.ok(installed.stdout.includes(script));
      const supervisorPid = (await eventually(() => runningSupervisor(stateDir(dir.path)), 30_000)).pid;
      const first = await eventually(
        () =>
          existsSync(join(stateDir(dir.path), 'agent.json')) ? (agentPid(dir.path) ?? undefined) : undefined,
        30_000,
      );

      const again = await cliProcess(dir.path, 'agent', 'install', '--plain');
      assert.equal(again.code, 4);
      assert.match(again.stderr, /already installed .*slipway agent uninstall/);

      process.kill(first, 'SIGKILL');
      const second = await eventually(() => {
        const pid = agentPid(dir.path);
        return pid !== null && pid !== first ? pid : undefined;
      }, 30_000);
      assert.deepEqual(await connectLocalAgent(stateDir(dir.path)).statusAll(), []);

      const removed = await cliProcess(dir.path, 'agent', 'uninstall');
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, new RegExp(`stopped the supervisor \\(pid ${supervisorPid}\\)`));
      assert.equal(existsSync(script), false);
      assert.equal(isAlive(supervisorPid), false);
      assert.equal(isAlive(second), false);
      const twice = await cliProcess(dir.path, 'agent', 'uninstall');
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /AGENT_NOT_INSTALLED/);
    } finally {
      await cliProcess(dir.path, 'agent', 'stop', '--instances');
      dir.cleanup();
    }
  });
});
