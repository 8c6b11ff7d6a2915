import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { EnvSecretStore, envSecretVariable } from './env-store.ts';

const env = {
  SLIPWAY_SECRET_PRODUCTION_STRIPE_KEY: 'sk_live_x',
  SLIPWAY_SECRET_PRODUCTION_DB_PASSWORD: 'pw',
  SLIPWAY_SECRET_PRODUCTION_EU_DB_PASSWORD: 'eu-pw',
  SLIPWAY_SECRET_EU_WEST_TOKEN: 't',
  SLIPWAY_SECRET_KEY: 'the local store key, not a secret of an environment',
  SLIPWAY_SECRET_STAGING_: 'no key',
  UNRELATED: 'x',
};

describe('env secret store (read-only, SLIPWAY_SECRET_<ENV>_<KEY>)', () => {
  const store = new EnvSecretStore({
    env,
    environments: ['production', 'production-eu', 'eu-west'],
    startedAt: new Date(0),
  });

  test('maps env and key to the variable name', () => {
    assert.equal(envSecretVariable('eu-west', 'TOKEN'), 'SLIPWAY_SECRET_EU_WEST_TOKEN');
  });

  test('get reads version 1 only; absent is undefined', async () => {
    assert.equal(await store.get('production', 'STRIPE_KEY'), 'sk_live_x');
    assert.equal(await store.get('production', 'STRIPE_KEY', 1), 'sk_live_x');
    assert.equal(await store.get('production', 'STRIPE_KEY', 2), undefined);
    assert.equal(await store.get('eu-west', 'TOKEN'), 't');
    assert.equal(await store.get('staging', 'STRIPE_KEY'), undefined);
    assert.deepEqual(await store.versions('production', 'STRIPE_KEY'), [
      { version: 1, createdAt: '1970-01-01T00:00:00.000Z' },
    ]);
    assert.deepEqual(await store.versions('staging', 'STRIPE_KEY'), []);
  });

  test('list keeps nested environment names apart and never shows values', async () => {
    assert.deepEqual(await store.list('production'), [
      { key: 'DB_PASSWORD', latest: 1, versions: [1] },
      { key: 'STRIPE_KEY', latest: 1, versions: [1] },
    ]);
    assert.deepEqual(await store.list('production-eu'), [{ key: 'DB_PASSWORD', latest: 1, versions: [1] }]);
    assert.deepEqual(await store.list('staging'), []);
  });

  test('set and remove are refused with SECRET_STORE_READ_ONLY', async () => {
    const readOnly = (e: unknown) =>
      isAppError(e) &&
      e.code === 'SECRET_STORE_READ_ONLY' &&
      /env secret store is read-only; cannot change production\/K/.test(e.message);
    await assert.rejects(store.set('production', 'K', 'v'), readOnly);
    await assert.rejects(store.remove('production', 'K'), readOnly);
    assert.equal(store.readOnly, true);
  });

  test('reads the environment at each call', async () => {
    const live: Record<string, string | undefined> = {};
    const s = new EnvSecretStore({ env: live });
    assert.equal(await s.get('ci', 'TOKEN'), undefined);
    live.SLIPWAY_SECRET_CI_TOKEN = 'now';
    assert.equal(await s.get('ci', 'TOKEN'), 'now');
  });

  test('bad names are usage errors', async () => {
    await assert.rejects(store.get('production', 'no-dash'), (e) => isAppError(e) && e.code === 'USAGE');
  });
});
