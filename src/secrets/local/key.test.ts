import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { tempDir } from '../../testing.ts';
import { generateKey, initKeyFile, KEY_ENV_VAR, loadKey } from './key.ts';
import { openLocalSecretStore } from './local-store.ts';

const code = (c: string, re?: RegExp) => (e: unknown) =>
  isAppError(e) && e.code === c && (!re || re.test(e.message));

describe('local secret store key', () => {
  test('init creates a 0600 key file once and refuses to replace it', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, '.slipway', 'secret.key');
      const key = initKeyFile(file);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(loadKey({ keyFile: file }), key);
      assert.throws(() => initKeyFile(file), code('INIT_EXISTS', /refusing to replace/));
      assert.deepEqual(loadKey({ keyFile: file }), key);
    } finally {
      dir.cleanup();
    }
  });

  test('the env var wins over the key file; bad keys and files are clear errors', () => {
    const dir = tempDir();
    try {
      const key = generateKey();
      assert.deepEqual(
        loadKey({ keyFile: join(dir.path, 'none'), env: { [KEY_ENV_VAR]: key.toString('base64') } }),
        key,
      );
      assert.throws(
        () => loadKey({ env: { [KEY_ENV_VAR]: 'c2hvcnQ=' } }),
        code(
          'SECRET_KEY_INVALID',
          /SLIPWAY_SECRET_KEY environment variable is not a base64 encoded 32-byte key/,
        ),
      );
      assert.throws(
        () => loadKey({ env: { [KEY_ENV_VAR]: `${key.toString('base64')}!!` } }),
        code('SECRET_KEY_INVALID'),
      );
      assert.throws(() => loadKey({ env: {} }), code('SECRET_KEY_INVALID', /no secret store key/));
      assert.throws(
        () => loadKey({ keyFile: join(dir.path, 'none') }),
        code('SECRET_KEY_INVALID', /does not exist; run `slipway secret init`/),
      );
      const loose = join(dir.path, 'loose.key');
      writeFileSync(loose, key.toString('base64'), { mode: 0o644 });
      assert.throws(
        () => loadKey({ keyFile: loose }),
        code('SECRET_KEY_INVALID', /mode 0644\); run `chmod 600/),
      );
      // the message never carries the key
      try {
        loadKey({ env: { [KEY_ENV_VAR]: `${key.toString('base64')}x` } });
      } catch (e) {
        assert.ok(!(e as Error).message.includes(key.toString('base64')));
      }
    } finally {
      dir.cleanup();
    }
  });

  test('openLocalSecretStore with no key at all fails before touching the file', () => {
    assert.throws(() => openLocalSecretStore({ path: 'unused.json', env: {} }), code('SECRET_KEY_INVALID'));
  });
});
