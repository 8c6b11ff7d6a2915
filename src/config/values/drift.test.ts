import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type DriftSide, diff, driftSide, guessRole, hostOf } from './drift.ts';
import { resolveConfig } from './resolve.ts';

const side = (
  env: string,
  values: Record<string, string | undefined>,
  sensitive: string[] = [],
): DriftSide => ({
  env,
  values,
  sensitive: new Set(sensitive),
});

describe('config drift', () => {
  test('hosts are read from URLs and bare host:port values only', () => {
    assert.equal(hostOf('postgres://u:p@DB.Staging.example.com:5432/x'), 'db.staging.example.com');
    assert.equal(hostOf('http://[::1]:8080/'), '::1');
    assert.equal(hostOf('10.0.0.5:6379'), '10.0.0.5');
    assert.equal(hostOf('localhost'), 'localhost');
    assert.equal(hostOf('info'), undefined);
    assert.equal(hostOf('30s'), undefined);
    assert.equal(hostOf('http://'), undefined);
  });

  test('roles are guessed from names', () => {
    assert.deepEqual(['production', 'prod-eu', 'staging', 'preprod', 'dev', 'local'].map(guessRole), [
      'production',
      'production',
      'staging',
      'staging',
      'other',
      'other',
    ]);
  });

  test('missing keys on either side and mustMatch differences', () => {
    const staging = side('staging', {
      A: '1',
      LOG_LEVEL: 'debug',
      ONLY_S: 'x',
      TOKEN: 'aaa-secret',
      UNSET: undefined,
    });
    const production = side('production', { A: '1', LOG_LEVEL: 'info', ONLY_P: 'y', TOKEN: 'bbb-secret' }, [
      'TOKEN',
    ]);
    const findings = diff(staging, production, { mustMatch: ['LOG_LEVEL', 'A', 'TOKEN', 'ONLY_S'] });
    assert.deepEqual(
      findings.map((f) => [f.kind, f.key]),
      [
        ['missing', 'ONLY_P'],
        ['missing', 'ONLY_S'],
        ['mismatch', 'LOG_LEVEL'],
        ['mismatch', 'TOKEN'],
      ],
    );
    assert.equal(findings[0]!.message, 'ONLY_P is set in production but missing in staging');
    assert.equal(
      findings[2]!.message,
      'LOG_LEVEL must match across environments (mustMatch) but staging has "debug" and production has "info"',
    );
    assert.ok(!JSON.stringify(findings).includes('bbb-secret'));
  });

  test('allowLoopback lets one key of production point at this machine, said as a hint; others still refused', () => {
    const values = { DATABASE_URL: 'postgres://127.0.0.1:5432/shop', REDIS_URL: 'redis://localhost:6379' };
    const staging = side('staging', {
      DATABASE_URL: 'postgres://db.staging.example.com/shop',
      REDIS_URL: 'redis://r.example.com',
    });
    const refused = diff(staging, side('production', values));
    assert.deepEqual(
      refused.map((f) => [f.key, f.severity]),
      [
        ['DATABASE_URL', 'error'],
        ['REDIS_URL', 'error'],
      ],
    );
    assert.match(
      refused[0]!.message,
      /production DATABASE_URL \(host 127\.0\.0\.1\) points at this machine \(loopback\); production needs a real host, or, when it runs on this one machine, list DATABASE_URL in environments\.production\.config\.allowLoopback/,
    );
    const allowed = diff(staging, {
      ...side('production', values),
      allowLoopback: new Set(['DATABASE_URL']),
    });
    assert.deepEqual(
      allowed.map((f) => [f.key, f.severity]),
      [
        ['DATABASE_URL', 'hint'],
        ['REDIS_URL', 'error'],
      ],
    );
    assert.match(allowed[0]!.message, /allowed by environments\.production\.config\.allowLoopback/);
  });

  test('production pointing at staging, dev, test, loopback or private hosts', () => {
    const production = side(
      'production',
      {
        DATABASE_URL: 'postgres://db-staging.internal/shop',
        REDIS_URL: 'redis://127.0.0.1:6379',
        API: 'https://api.dev.example.com',
        QUEUE: '10.1.2.3:5672',
        SEARCH: 'http://localhost:9200',
        OK: 'https://api.example.com',
        LATEST: 'https://latest.example.com',
        SECRET_DSN: 'postgres://user:pw@test-db.example.com/x',
      },
      ['SECRET_DSN'],
    );
    const findings = diff(side('staging', {}), production);
    const wrong = findings.filter((f) => f.kind === 'wrong-environment');
    assert.deepEqual(
      wrong.map((f) => [f.key, f.severity]),
      [
        ['API', 'error'],
        ['DATABASE_URL', 'error'],
        ['QUEUE', 'warning'],
        ['REDIS_URL', 'error'],
        ['SEARCH', 'error'],
        ['SECRET_DSN', 'error'],
      ],
    );
    const secret = wrong.find((f) => f.key === 'SECRET_DSN')!;
    assert.equal(
      secret.message,
      'production SECRET_DSN (secret) points at a host containing "test"; production should not use a test service',
    );
    assert.ok(!JSON.stringify(findings).includes('pw@'));
  });

  test("staging pointing at a production-looking host or at production's own host", () => {
    const staging = side('staging', {
      DATABASE_URL: 'postgres://db.prod.internal/shop',
      REDIS_URL: 'redis://cache.internal:6379',
      CDN: 'https://cdn.example.com',
    });
    const production = side('production', {
      DATABASE_URL: 'postgres://db.prod.internal/shop',
      REDIS_URL: 'redis://cache.internal:6379',
      CDN: 'https://cdn2.example.com',
    });
    const wrong = diff(staging, production).filter((f) => f.kind === 'wrong-environment');
    assert.deepEqual(
      wrong.map((f) => [f.key, f.severity]),
      [
        ['DATABASE_URL', 'error'],
        ['REDIS_URL', 'hint'],
      ],
    );
    // explicit roles beat name guessing
    const none = diff({ ...staging, role: 'other' }, production).filter(
      (f) => f.kind === 'wrong-environment',
    );
    assert.deepEqual(none, []);
  });

  test('driftSide takes values and sensitivity from a resolution', () => {
    const r = resolveConfig({
      env: 'production',
      shared: { require: { K: 'secret' }, values: { A: 'x' } },
      secrets: { K: 'v' },
    });
    const s = driftSide(r);
    assert.deepEqual(s.values, { A: 'x', K: 'v' });
    assert.deepEqual([...s.sensitive], ['K']);
  });
});
