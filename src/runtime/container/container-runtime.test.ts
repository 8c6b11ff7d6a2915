/** The container runtime when its engine is not there: one line naming the engine and how to start it. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { tempDir } from '../../testing.ts';
import { ContainerRuntime } from './container-runtime.ts';

const spec = {
  app: 'shop',
  env: 'staging',
  release: 'v1',
  cwd: '/',
  command: '',
  image: `127.0.0.1:5000/shop@sha256:${'a'.repeat(64)}`,
  vars: {},
  count: 1,
  health: { path: '/health', intervalMs: 100, timeoutMs: 100 },
  startTimeoutMs: 1000,
  stopTimeoutMs: 1000,
};

test('an engine that is not running: CONTAINER_ENGINE_UNAVAILABLE naming its address and the fix', async () => {
  const dir = tempDir('slipway-no-engine-');
  const socket = join(dir.path, 'missing.sock');
  const runtime = new ContainerRuntime({ stateDir: dir.path, dockerHost: `unix://${socket}` });
  try {
    await runtime.ready(); // an agent still starts without its engine
    assert.deepEqual(runtime.unclaimedReleases(), []);
    const error = await runtime.start(spec).catch((e: unknown) => e);
    assert.ok(isAppError(error));
    assert.equal(error.code, 'CONTAINER_ENGINE_UNAVAILABLE');
    assert.equal(error.exitCode, 4);
    assert.match(
      error.message,
      new RegExp(`the container engine at unix://${socket} is not reachable \\(ENOENT\\)`),
    );
    assert.match(error.message, /podman system service|systemctl start docker/);
    assert.doesNotMatch(error.message, /\n/);
    assert.deepEqual(await runtime.list(), []);
  } finally {
    await runtime.close();
    dir.cleanup();
  }
});

test('a release without an image is refused by the container runtime, before the engine is asked', async () => {
  const dir = tempDir('slipway-no-image-');
  const runtime = new ContainerRuntime({ stateDir: dir.path, dockerHost: `unix://${dir.path}/x.sock` });
  try {
    const error = await runtime.start({ ...spec, image: undefined }).catch((e: unknown) => e);
    assert.ok(isAppError(error));
    assert.match(error.message, /no image to run/);
  } finally {
    await runtime.close();
    dir.cleanup();
  }
});
