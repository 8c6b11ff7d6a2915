import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { eventually } from '../runtime/process/testing.ts';
import { tempDir } from '../testing.ts';
import { FakeRouter } from '../traffic/fake-router.ts';
import { agentCommand } from './cli-entry.ts';
import { connectLocalAgent } from './client.ts';

test('slipway agent (fake router) serves its admin API until stopped, and says where its token is', async () => {
  const state = tempDir('slipway-agent-');
  const lines: string[] = [];
  const stop = new AbortController();
  try {
    const exit = agentCommand(['--state-dir', state.path], {
      createRouter: () => new FakeRouter(),
      out: (line) => lines.push(line),
      stop: stop.signal,
    });
    const ready = await eventually(() => lines.find((line) => line.includes('admin API on')));
    assert.ok(ready.includes(join(state.path, 'agent.token')));
    assert.deepEqual(await connectLocalAgent(state.path).statusAll(), []);
    stop.abort();
    assert.equal(await exit, 0);
    assert.throws(() => connectLocalAgent(state.path), { code: 'AGENT_UNAVAILABLE' });
  } finally {
    state.cleanup();
  }
});

test('slipway agent rejects a bad --port naming the flag', async () => {
  const error = await agentCommand(['--port', 'eighty'], { createRouter: () => new FakeRouter() }).catch(
    (e) => e,
  );
  assert.ok(isAppError(error));
  assert.match(error.message, /--port: must be a port number/);
});
