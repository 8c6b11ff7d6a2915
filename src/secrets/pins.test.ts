import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { FakeSecretStore } from './fake-secret-store.ts';
import { loadSecrets, pinSecretVersions, readPinnedSecrets } from './pins.ts';

describe('secret pins for deployments and rollback (fake store)', () => {
  test('pins the latest versions and reads exactly those back after newer sets', async () => {
    const store = new FakeSecretStore();
    await store.set('production', 'A', 'a1');
    await store.set('production', 'A', 'a2');
    await store.set('production', 'B', 'b1');
    const pins = await pinSecretVersions(store, 'production', ['A', 'B']);
    assert.deepEqual(pins, { A: 2, B: 1 });
    await store.set('production', 'A', 'a3');
    assert.deepEqual(await readPinnedSecrets(store, 'production', pins), { A: 'a2', B: 'b1' });
    assert.deepEqual(await loadSecrets(store, 'production', ['A', 'B', 'C']), { A: 'a3', B: 'b1' });
  });

  test('missing keys and vanished versions are named all at once', async () => {
    const store = new FakeSecretStore();
    await store.set('production', 'A', 'a1');
    await assert.rejects(
      pinSecretVersions(store, 'production', ['A', 'X', 'Y']),
      (e) =>
        isAppError(e) &&
        e.code === 'SECRET_NOT_FOUND' &&
        /secrets X, Y not in the fake secret store for "production"/.test(e.message),
    );
    await assert.rejects(
      readPinnedSecrets(store, 'production', { A: 1, B: 4, C: 2 }),
      (e) => isAppError(e) && /ran with B v4, C v2 in "production"/.test(e.message),
    );
  });
});
