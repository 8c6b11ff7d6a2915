import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { assertNoIssues, check } from './check.ts';
import type { ResolveInput } from './resolve.ts';

const require = {
  DATABASE_URL: 'url',
  LOG_LEVEL: 'enum(debug,info,warn)',
  PORT_ADMIN: 'port',
  TIMEOUT: 'duration',
  WORKERS: 'int',
  DEBUG: 'bool',
  NAME: 'string',
  STRIPE_KEY: 'secret',
  API_TOKEN: 'int',
  OPTIONAL_X: { type: 'string', optional: true, default: 'x' },
  OPTIONAL_Y: { type: 'url', optional: true },
} as const;

describe('config check', () => {
  test('all good: no issues', () => {
    const input: ResolveInput = {
      env: 'production',
      shared: {
        require,
        values: {
          DATABASE_URL: 'postgres://db/x',
          LOG_LEVEL: 'info',
          PORT_ADMIN: 9000,
          TIMEOUT: '30s',
          WORKERS: 4,
          DEBUG: false,
          NAME: 'shop',
          API_TOKEN: 12,
        },
      },
      secrets: { STRIPE_KEY: 'sk' },
    };
    assert.deepEqual(check(input), []);
  });

  test('returns EVERY missing and invalid key at once, each naming key, type, found value and fix', () => {
    const input: ResolveInput = {
      env: 'production',
      shared: {
        require: { ...require, BROKEN: 'uri' },
        values: {
          DATABASE_URL: 'localhost:5432',
          LOG_LEVEL: 'verbose',
          PORT_ADMIN: 70000,
          TIMEOUT: '30',
          DEBUG: 'maybe',
        },
      },
      environment: { values: { STRIPE_KEY: 'sk_live_in_yaml_123', API_TOKEN: 'tok-abc-123' } },
      processEnv: { WORKERS: '' },
    };
    const issues = check(input, [
      { file: '.env', line: 3, message: '.env:3: cannot parse this line; write KEY=value' },
    ]);
    const byKey = (k: string) => issues.filter((i) => i.key === k).map((i) => i.kind);
    assert.deepEqual(byKey('DATABASE_URL'), ['invalid']);
    assert.deepEqual(byKey('LOG_LEVEL'), ['invalid']);
    assert.deepEqual(byKey('PORT_ADMIN'), ['invalid']);
    assert.deepEqual(byKey('TIMEOUT'), ['invalid']);
    assert.deepEqual(byKey('DEBUG'), ['invalid']);
    assert.deepEqual(byKey('WORKERS'), ['missing']);
    assert.deepEqual(byKey('NAME'), ['missing']);
    assert.deepEqual(byKey('STRIPE_KEY'), ['secret-in-yaml', 'missing']);
    assert.deepEqual(byKey('API_TOKEN'), ['invalid']);
    assert.deepEqual(byKey('BROKEN'), ['bad-type']);
    assert.deepEqual(byKey('OPTIONAL_X'), []);
    assert.deepEqual(byKey('OPTIONAL_Y'), []);
    assert.equal(issues.filter((i) => i.kind === 'dotenv-syntax').length, 1);

    const level = issues.find((i) => i.key === 'LOG_LEVEL')!;
    assert.equal(level.expected, 'enum(debug,info,warn)');
    assert.equal(level.found, 'verbose');
    assert.equal(
      level.message,
      'LOG_LEVEL (enum(debug,info,warn)) is not one of debug, info, warn: found "verbose" from slipway.yaml config.values; fix the value there',
    );
    assert.match(
      issues.find((i) => i.key === 'NAME')!.message,
      /NAME \(string\) is missing in "production"; set it in/,
    );
    assert.match(issues.find((i) => i.key === 'WORKERS')!.message, /is empty/);
    assert.match(
      issues.find((i) => i.kind === 'missing' && i.key === 'STRIPE_KEY')!.message,
      /slipway secret set production STRIPE_KEY/,
    );
    // sensitive values never appear: neither the declared secret nor the TOKEN-named int
    const all = JSON.stringify(issues);
    assert.ok(!all.includes('sk_live_in_yaml_123'));
    assert.ok(!all.includes('tok-abc-123'));
    assert.equal(issues.find((i) => i.key === 'API_TOKEN')!.found, '[redacted]');
  });

  test('assertNoIssues throws one AppError carrying every message', () => {
    const issues = check({ env: 'staging', shared: { require: { A: 'int', B: 'url' } } });
    assert.equal(issues.length, 2);
    assert.throws(
      () => assertNoIssues('staging', issues),
      (e) =>
        isAppError(e) &&
        e.code === 'CONFIG_VALUES_INVALID' &&
        e.message === '2 config value problems in environment "staging"' &&
        e.details.length === 2,
    );
    assertNoIssues('staging', []);
  });
});
