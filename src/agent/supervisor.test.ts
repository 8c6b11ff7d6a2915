import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { tempDir } from '../testing.ts';
import { runningSupervisor, runSupervisor, supervisorInfoPath } from './supervisor.ts';

type Line = { level: string; msg: string };

test('an agent that keeps dying at once is restarted with backoff, then the supervisor gives up with a clear line (exit 1)', async () => {
  const state = tempDir('slipway-supervisor-');
  const lines: Line[] = [];
  try {
    const code = await runSupervisor({
      stateDir: state.path,
      agentArgs: [],
      command: [process.execPath, '-e', 'process.exit(3)'],
      maxFastCrashes: 3,
      log: (level, msg) => lines.push({ level, msg }),
    });
    assert.equal(code, 1);
    const restarts = lines.filter((l) => l.msg.startsWith('the agent died (exit 3)'));
    assert.equal(restarts.length, 3);
    assert.match(restarts[0]!.msg, /restarting it in 0 ms/);
    assert.match(restarts[1]!.msg, /restarting it in 250 ms/);
    assert.match(restarts[2]!.msg, /restarting it in 500 ms/);
    const last = lines.at(-1)!;
    assert.equal(last.level, 'error');
    assert.match(
      last.msg,
      /^giving up: the agent died 4 times in a row within 10 s of starting \(last: exit 3\)/,
    );
    assert.equal(existsSync(supervisorInfoPath(state.path)), false);
  } finally {
    state.cleanup();
  }
});

test('stopping the supervisor stops its agent; an agent that exits 0 by itself ends the supervisor too', async () => {
  const state = tempDir('slipway-supervisor-');
  const stop = new AbortController();
  const lines: Line[] = [];
  try {
    const running = runSupervisor({
      stateDir: state.path,
      agentArgs: [],
      // An "agent" that runs until SIGTERM, then exits 0.
      command: [
        process.execPath,
        '-e',
        "setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0))",
      ],
      stop: stop.signal,
      log: (level, msg) => lines.push({ level, msg }),
    });
    let info = runningSupervisor(state.path);
    for (let i = 0; i < 100 && !info?.agentPid; i++) {
      await new Promise((r) => setTimeout(r, 50));
      info = runningSupervisor(state.path);
    }
    assert.equal(info?.pid, process.pid);
    const agentPid = info!.agentPid!;
    stop.abort();
    assert.equal(await running, 0);
    assert.throws(() => process.kill(agentPid, 0), { code: 'ESRCH' });

    const selfExit = await runSupervisor({
      stateDir: state.path,
      agentArgs: [],
      command: [process.execPath, '-e', 'process.exit(0)'],
      log: (level, msg) => lines.push({ level, msg }),
    });
    assert.equal(selfExit, 0);
    assert.match(lines.at(-1)!.msg, /the agent stopped by itself \(exit 0\); the supervisor stops too/);
  } finally {
    state.cleanup();
  }
});
