import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../testing.ts';
import { createSecretStore } from './factory.ts';
import { generateKey } from './local/key.ts';

describe('secret store factory', () => {
  test('builds each provider by name', () => {
    const dir = tempDir();
    try {
      const env = {
        SLIPWAY_SECRET_KEY: generateKey().toString('base64'),
        VAULT_ADDR: 'http://127.0.0.1:8200',
        VAULT_TOKEN: 't',
      };
      assert.equal(
        createSecretStore({ provider: 'local', path: join(dir.path, 's.json') }, env).name,
        'local',
      );
      assert.equal(createSecretStore({ provider: 'env' }, env).name, 'env');
      assert.equal(createSecretStore({ provider: 'vault' }, env).name, 'vault');
    } finally {
      dir.cleanup();
    }
  });

  test('an unknown name or a missing vault address is a usage error naming the value', () => {
    assert.throws(
      () => createSecretStore({ provider: 'aws' }, {}),
      /unknown secret store "aws"; use one of local, env, vault/,
    );
    assert.throws(() => createSecretStore({ provider: 'vault' }, {}), /needs an address/);
  });
});
