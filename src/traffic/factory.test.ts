import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { createRouter, ROUTER_NAMES } from './factory.ts';

test('factory: builds a router by name', async () => {
  const router = await createRouter('builtin');
  assert.equal(router.name, 'builtin');
  await router.close();
  assert.deepEqual(ROUTER_NAMES, ['builtin', 'haproxy', 'nginx']);
});

test('factory: an unknown driver is an error naming it and the known ones', async () => {
  await assert.rejects(
    createRouter('envoy'),
    (e: unknown) =>
      isAppError(e) &&
      e.code === 'TRAFFIC_DRIVER_UNKNOWN' &&
      e.message === 'unknown traffic router "envoy"; use one of: builtin, haproxy, nginx',
  );
});

test('factory: a missing proxy binary is an error naming it and the fix', async () => {
  for (const name of ['haproxy', 'nginx'] as const) {
    const router = await createRouter(name, { [name]: { binary: 'slipway-no-such-binary' } });
    await assert.rejects(
      router.apply({
        env: 'e',
        listen: { host: '127.0.0.1', port: 1 + Math.floor(Math.random() * 1000) + 40000 },
        releases: [],
      }),
      (e: unknown) =>
        isAppError(e) &&
        e.code === 'TRAFFIC_DRIVER_FAILED' &&
        e.message.includes('"slipway-no-such-binary"') &&
        e.message.includes(`apt-get install ${name}`),
    );
    await router.close();
  }
});
