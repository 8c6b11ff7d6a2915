import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { assertConfig } from './exec-check.ts';

const require = {
  DATABASE_URL: 'url',
  PORT: 'port',
  LOG_LEVEL: 'enum(debug,info)',
  API_KEY: 'secret',
} as const;

describe('assertConfig (exec check)', () => {
  test('passes when every key is present and valid', () => {
    assertConfig(require, { DATABASE_URL: 'postgres://db/x', PORT: '8080', LOG_LEVEL: 'info', API_KEY: 'k' });
  });

  test('throws one AppError listing every missing and invalid key, secrets redacted', () => {
    assert.throws(
      () => assertConfig(require, { DATABASE_URL: 'nope', PORT: '0', API_KEY: '' }),
      (e) => {
        assert.ok(isAppError(e));
        assert.equal(e.code, 'CONFIG_VALUES_INVALID');
        assert.equal(e.message, '4 config value problems; the app was not started');
        assert.deepEqual(e.details, [
          'API_KEY (secret) is missing or empty',
          'DATABASE_URL (url) is not a URL with a scheme (expected e.g. postgres://db.internal:5432/shop): found "nope"',
          'LOG_LEVEL (enum(debug,info)) is missing or empty',
          'PORT (port) is not a port (expected 1-65535): found "0"',
        ]);
        return true;
      },
    );
  });

  test('exit mode prints the list and exits 1 before the app starts (real child process)', () => {
    const script = `
      import { assertConfig } from ${JSON.stringify(new URL('./exec-check.ts', import.meta.url).href)};
      assertConfig({ PORT: 'port', TOKEN: 'secret' }, process.env, { onError: 'exit' });
      console.log('app started');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, PORT: 'eighty', TOKEN: '' },
      encoding: 'utf8',
    });
    assert.equal(child.status, 1);
    assert.equal(child.stdout, '');
    assert.match(
      child.stderr,
      /2 config value problems; the app was not started:\n {2}- PORT \(port\) is not a port/,
    );
    assert.match(child.stderr, /- TOKEN \(secret\) is missing or empty\n$/);
  });
});
