import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { generateKey } from '../secrets/local/key.ts';
import { tempDir } from '../testing.ts';
import { AgentStateFile, type EnvRecord } from './state.ts';
import { stateKeyPath } from './state-seal.ts';

const SECRET = 'sk_live_state_file_value_91b2';

const record = (cwd: string): EnvRecord => ({
  desired: {
    env: 'staging',
    listen: { host: '127.0.0.1', port: 0 },
    releases: [
      {
        release: 'v1',
        weight: 100,
        app: 'shop',
        cwd,
        command: 'node server.js',
        vars: { STRIPE_KEY: SECRET, LOG_LEVEL: 'info' },
        count: 1,
        health: { path: '/health', intervalMs: 100, timeoutMs: 100 },
        startTimeoutMs: 1000,
        stopTimeoutMs: 1000,
      },
    ],
  },
  instances: [],
  updatedAt: new Date(0).toISOString(),
});

test('agent-state.json holds the vars sealed, never in plain text or base64, and reads them back', async () => {
  const dir = tempDir();
  try {
    const state = new AgentStateFile(dir.path);
    await state.put(record(dir.path));
    const text = readFileSync(state.path, 'utf8');
    for (const form of [SECRET, Buffer.from(SECRET).toString('base64'), 'LOG_LEVEL'])
      assert.ok(!text.includes(form), `state file holds ${form}`);
    assert.equal(statSync(stateKeyPath(dir.path)).mode & 0o777, 0o600);
    const again = new AgentStateFile(dir.path);
    assert.deepEqual(again.get('staging')?.desired.releases[0]?.vars, {
      STRIPE_KEY: SECRET,
      LOG_LEVEL: 'info',
    });
  } finally {
    dir.cleanup();
  }
});

test('a state file sealed with another key is refused with a message naming the file and the fix', async () => {
  const dir = tempDir();
  try {
    await new AgentStateFile(dir.path).put(record(dir.path));
    assert.throws(
      () => new AgentStateFile(dir.path, generateKey()),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'RUNTIME_STATE_INVALID');
        assert.match(e.message, /agent-state\.json: the vars of release v1 in staging cannot be decrypted/);
        assert.ok(!e.message.includes(SECRET));
        return true;
      },
    );
  } finally {
    dir.cleanup();
  }
});

test('puts that overlap: get() holds the last at once, each resolves durable, the file ends with the last', async () => {
  const dir = tempDir();
  try {
    const state = new AgentStateFile(dir.path);
    const first = record(dir.path);
    const weights = (w: number): EnvRecord => ({
      ...first,
      desired: { ...first.desired, releases: first.desired.releases.map((r) => ({ ...r, weight: w })) },
    });
    const onDisk = () => new AgentStateFile(dir.path).get('staging')?.desired.releases[0]?.weight;
    const seen: (number | undefined)[] = [];
    const writes = [10, 20, 30].map((w) => state.put(weights(w)).then(() => seen.push(onDisk())));
    assert.equal(state.get('staging')?.desired.releases[0]?.weight, 30);
    await Promise.all(writes);
    // The first write ran alone; 20 was replaced by 30 before its turn, so it resolved with 30 on disk.
    assert.deepEqual(seen, [10, 30, 30]);
    await state.delete('staging');
    assert.equal(new AgentStateFile(dir.path).get('staging'), undefined);
    await state.settled();
  } finally {
    dir.cleanup();
  }
});
