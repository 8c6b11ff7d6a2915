import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FakeSecretStore } from '../../secrets/fake-secret-store.ts';
import { tempDir } from '../../testing.ts';
import { prepareConfig, secretKeys } from './prepare.ts';

describe('prepareConfig (fake secret store, real .env files)', () => {
  test('resolves, checks, pins secret versions and redacts every sensitive value', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, '.env'), 'WORKERS=4\nDB_PASSWORD=from-dotenv-pw\nbroken line\n');
      const store = new FakeSecretStore();
      await store.set('staging', 'STRIPE_KEY', 'sk_test_old_value');
      await store.set('staging', 'STRIPE_KEY', 'sk_test_new_value');
      const prepared = await prepareConfig({
        env: 'staging',
        shared: {
          require: { WORKERS: 'int', STRIPE_KEY: 'secret', LOG_LEVEL: 'enum(debug,info)' },
          values: { LOG_LEVEL: 'info' },
        },
        environment: { secrets: ['WEBHOOK_SECRET'] },
        dotenvPaths: [join(dir.path, '.env')],
        processEnv: { WORKERS: '8' },
        store,
      });
      assert.deepEqual(prepared.vars, {
        DB_PASSWORD: 'from-dotenv-pw',
        LOG_LEVEL: 'info',
        STRIPE_KEY: 'sk_test_new_value',
        WORKERS: '8',
      });
      assert.deepEqual(prepared.secretPins, { STRIPE_KEY: 2 });
      assert.deepEqual(
        prepared.issues.map((i) => `${i.kind} ${i.key}`),
        ['dotenv-syntax ', 'missing WEBHOOK_SECRET'],
      );
      assert.match(prepared.issues[0]!.message, /\.env:3: cannot parse this line/);
      assert.equal(
        prepared.redactor.redact('key sk_test_new_value pw from-dotenv-pw'),
        'key [redacted:STRIPE_KEY] pw [redacted:DB_PASSWORD]',
      );
    } finally {
      dir.cleanup();
    }
  });

  test('pinned versions win over the latest, and a pinned version no longer stored is named', async () => {
    const store = new FakeSecretStore();
    await store.set('production', 'STRIPE_KEY', 'sk_test_first_value');
    await store.set('production', 'STRIPE_KEY', 'sk_test_second_value');
    await store.set('production', 'OTHER_TOKEN', 'other-token-value');
    const input = {
      env: 'production',
      shared: { require: { STRIPE_KEY: 'secret', OTHER_TOKEN: 'secret' } },
      store,
    } as const;
    const pinned = await prepareConfig({ ...input, pins: { STRIPE_KEY: 1 } });
    assert.equal(pinned.vars.STRIPE_KEY, 'sk_test_first_value');
    assert.deepEqual(pinned.secretPins, { OTHER_TOKEN: 1, STRIPE_KEY: 1 });
    await assert.rejects(prepareConfig({ ...input, pins: { STRIPE_KEY: 7 } }), /STRIPE_KEY v7/);
  });

  test('secret keys come from require types and the secrets list', () => {
    assert.deepEqual(
      secretKeys({
        shared: { require: { A: 'secret', B: 'string', C: { type: 'secret' } } },
        environment: { secrets: ['D', 'A'] },
      }),
      ['A', 'C', 'D'],
    );
  });
});
