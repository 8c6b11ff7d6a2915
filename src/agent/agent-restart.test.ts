import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { isAlive } from '../runtime/process/proc.ts';
import { eventually, PidTracker } from '../runtime/process/testing.ts';
import { tempDir } from '../testing.ts';
import { FakeRouter } from '../traffic/fake-router.ts';
import { createAgentClient } from './client.ts';
import { runAgent } from './main.ts';
import { exampleBody, exampleRelease } from './testing.ts';

const entry = new URL('./fake-router-entry.ts', import.meta.url).pathname;

/** Starts the agent as a real child process and resolves once it printed that it is ready. */
async function startAgent(stateDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', entry, stateDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ url: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not ready within 20s: ${stderr}`)), 20_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`agent exited with ${code}: ${stderr}`)));
  });
  return { child, url: ready.url };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

test('agent process (fake router) killed with -9 and started again re-adopts running instances, restarts dead ones', async () => {
  const release = tempDir('slipway-release-');
  const state = tempDir('slipway-agent-');
  const pids = new PidTracker();
  let agent: ChildProcess | undefined;
  try {
    const first = await startAgent(state.path);
    agent = first.child;
    pids.add(first.child.pid);
    const token = readFileSync(join(state.path, 'agent.token'), 'utf8').trim();
    await assert.rejects(runAgent({ stateDir: state.path, router: new FakeRouter() }), {
      code: 'STATE_DIR_IN_USE',
      message: new RegExp(`an agent \\(pid ${first.child.pid}\\) already runs on`),
    });
    const before = await createAgentClient({ url: first.url, token }).putEnv(
      'staging',
      exampleBody([exampleRelease(release.path, 'v1', { count: 2 })]),
    );
    const [kept, killed] = before.releases[0]!.instances;
    pids.add(kept!.pid, killed!.pid);

    first.child.kill('SIGKILL');
    await exited(first.child);
    // The data plane's instances outlive the agent; one of them dies while nobody watches.
    assert.equal(await (await fetch(`http://127.0.0.1:${kept!.port}/pid`)).text(), String(kept!.pid));
    process.kill(-killed!.pid!, 'SIGKILL');
    await eventually(() => (isAlive(killed!.pid!) ? undefined : true));

    const second = await startAgent(state.path);
    agent = second.child;
    pids.add(second.child.pid);
    const client = createAgentClient({ url: second.url, token });
    // The replacement boots after the restore (which does not wait for it): wait until it is healthy.
    const after = await eventually(async () => {
      const status = await client.status('staging');
      pids.add(...status.releases[0]!.instances.map((i) => i.pid));
      return status.healthy ? status : undefined;
    });
    const [adopted, restarted] = after.releases[0]!.instances;
    pids.add(adopted!.pid, restarted!.pid);
    assert.equal(adopted!.pid, kept!.pid, 'the running instance is re-adopted, not restarted');
    assert.equal(adopted!.restarts, 0);
    assert.equal(adopted!.state, 'healthy');
    assert.notEqual(restarted!.pid, killed!.pid, 'the dead instance is started again');
    assert.equal(restarted!.state, 'healthy');
    assert.ok(
      (await client.logs('staging', 'v1', 50)).some((l) => l.includes(`adopted running pid ${kept!.pid}`)),
    );

    await client.deleteEnv('staging');
    second.child.kill('SIGTERM');
    await exited(second.child);
  } finally {
    if (agent !== undefined && agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGKILL');
      await exited(agent);
    }
    const left = pids.leftovers();
    pids.killAll();
    release.cleanup();
    state.cleanup();
    assert.deepEqual(left, [], 'no agent or instance may be left running');
  }
});
