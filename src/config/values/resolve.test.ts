import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explain, formatExplain, type ResolveInput, resolveConfig, resolvedVars } from './resolve.ts';

const base: ResolveInput = {
  env: 'staging',
  shared: {
    require: { LOG_LEVEL: 'enum(debug,info,warn)', PORT_ADMIN: 'port', STRIPE_KEY: 'secret' },
    values: { LOG_LEVEL: 'info', PORT_ADMIN: 9000, EXTRA: 'shared' },
  },
  environment: {
    require: { OPTIONAL_X: { type: 'string', optional: true, default: 'x' } },
    values: { LOG_LEVEL: 'debug' },
    secrets: ['STRIPE_KEY', 'OTHER_SECRET'],
  },
  dotenv: [
    { file: '.env', values: { PORT_ADMIN: '9001', FROM_DOTENV: 'a' } },
    { file: '.env.staging', values: { PORT_ADMIN: '9002' } },
  ],
  stored: { PORT_ADMIN: '9003' },
  processEnv: { PORT_ADMIN: '9004', HOME: '/home/someone', STRIPE_KEY: 'sk_from_shell' },
  secrets: { STRIPE_KEY: 'sk_live_realvalue' },
  secretStoreName: 'local',
};

describe('config resolution', () => {
  test('each layer overrides the one below, in the documented order', () => {
    const r = resolveConfig(base);
    const port = r.keys.find((k) => k.key === 'PORT_ADMIN')!;
    assert.equal(port.value, '9004');
    assert.equal(port.source?.kind, 'process');
    assert.deepEqual(
      port.overrode.map((o) => [o.source.label, o.value]),
      [
        ['stored in slipway', '9003'],
        ['.env.staging', '9002'],
        ['.env', '9001'],
        ['slipway.yaml config.values', '9000'],
      ],
    );
    const level = r.keys.find((k) => k.key === 'LOG_LEVEL')!;
    assert.equal(level.value, 'debug');
    assert.equal(level.source?.label, 'slipway.yaml environments.staging.config.values');
  });

  test('the process environment only supplies declared keys', () => {
    const vars = resolvedVars(resolveConfig(base));
    assert.equal(vars.HOME, undefined);
    assert.equal(vars.EXTRA, 'shared');
    assert.equal(vars.FROM_DOTENV, 'a');
  });

  test('defaults fill optional keys; secrets come from the store only', () => {
    const r = resolveConfig(base);
    const vars = resolvedVars(r);
    assert.equal(vars.OPTIONAL_X, 'x');
    assert.equal(r.keys.find((k) => k.key === 'OPTIONAL_X')!.source?.kind, 'default');
    assert.equal(vars.STRIPE_KEY, 'sk_live_realvalue');
    const stripe = r.keys.find((k) => k.key === 'STRIPE_KEY')!;
    assert.equal(stripe.source?.label, 'secret store (local)');
    assert.deepEqual(stripe.ignored, [
      { source: { kind: 'process', label: 'process environment' }, value: '[redacted]' },
    ]);
    // listed under secrets: without a require entry → still a secret, missing from the store
    const other = r.keys.find((k) => k.key === 'OTHER_SECRET')!;
    assert.equal(other.secret, true);
    assert.equal(other.value, undefined);
  });

  test('explain lists value, source and overridden values, never a secret', () => {
    const input: ResolveInput = {
      ...base,
      stored: { PORT_ADMIN: '9003', DB_PASSWORD: 'hunter2-stored' },
      dotenv: [{ file: '.env', values: { PORT_ADMIN: '9001', DB_PASSWORD: 'hunter2-dotenv' } }],
    };
    const lines = explain(resolveConfig(input));
    const text = JSON.stringify(lines) + formatExplain(lines);
    for (const secret of ['sk_live_realvalue', 'sk_from_shell', 'hunter2-stored', 'hunter2-dotenv']) {
      assert.ok(!text.includes(secret), `explain leaked ${secret}`);
    }
    const port = lines.find((l) => l.key === 'PORT_ADMIN')!;
    assert.deepEqual(port, {
      key: 'PORT_ADMIN',
      type: 'port',
      value: '9004',
      source: 'process environment',
      overrode: [
        { source: 'stored in slipway', value: '9003' },
        { source: '.env', value: '9001' },
        { source: 'slipway.yaml config.values', value: '9000' },
      ],
      ignored: [],
    });
    assert.equal(lines.find((l) => l.key === 'DB_PASSWORD')!.value, '[redacted]');
    assert.equal(lines.find((l) => l.key === 'OTHER_SECRET')!.source, 'missing');
    assert.match(
      formatExplain(lines),
      /^LOG_LEVEL \(enum\(debug,info,warn\)\) = debug {3}from slipway\.yaml environments/m,
    );
  });

  test('an empty input resolves to nothing', () => {
    assert.deepEqual(resolveConfig({ env: 'x' }).keys, []);
  });
});
