/**
 * `slipway config` and `slipway secret` end to end through the CLI, on a real project folder with
 * the encrypted local store: values in on stdin, never shown by list or show, every problem of an
 * environment at once, drift, and `exec` refusing to start a command on a broken config.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../src/store/factory.ts';
import { tempDir } from '../src/testing.ts';
import { cli, cliWithStdin } from './cli-helpers.ts';

const STRIPE = 'sk_test_cli_Zq81vB0xLmP4';
const YAML = `app: shop
run: { command: node server.js }
identity: { allowSlipwayUser: true } # development: these tests play several people
config:
  require: { DATABASE_URL: url, LOG_LEVEL: "enum(debug,info,warn)", WORKERS: int, STRIPE_KEY: secret }
  values: { LOG_LEVEL: info }
  mustMatch: [LOG_LEVEL]
environments:
  staging:
    config: { values: { DATABASE_URL: "postgres://db.staging.internal/shop", WORKERS: 2 } }
  production:
    after: staging
    config: { values: { DATABASE_URL: "postgres://db.staging.internal/shop", WORKERS: many, LOG_LEVEL: warn } }
`;

describe('slipway config and secret (local encrypted store)', () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    delete process.env.SLIPWAY_SECRET_KEY;
    process.env.SLIPWAY_USER = 'alice';
    dir = tempDir('slipway-cli-config-');
    writeFileSync(join(dir.path, 'slipway.yaml'), YAML);
  });
  after(() => dir.cleanup());

  test('secret init creates the key; secret set reads the value from stdin; list never shows it', async () => {
    assert.equal((await cli(dir.path, 'secret', 'init')).code, 0);
    const set = await cliWithStdin(dir.path, `${STRIPE}\n`, 'secret', 'set', 'staging', 'STRIPE_KEY');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /stored staging\/STRIPE_KEY version 1/);
    const list = await cli(dir.path, 'secret', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /staging\s+STRIPE_KEY\s+1\s+1\s+ok/);
    assert.match(list.stdout, /production\s+STRIPE_KEY\s+-\s+-\s+missing/);
    const stored = readFileSync(join(dir.path, '.slipway/secrets.json'), 'utf8');
    for (const text of [list.stdout, list.stderr, stored]) assert.ok(!text.includes(STRIPE));
  });

  test('secret get prints the value and is audited with the user', async () => {
    const got = await cli(dir.path, 'secret', 'get', 'staging', 'STRIPE_KEY');
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, `${STRIPE}\n`);
    const store = await openStore(join(dir.path, '.slipway/slipway.db'), dir.path);
    try {
      const audit = await store.listAudit();
      const get = audit.find((a) => a.action === 'secret.get');
      assert.equal(get?.actor, 'alice');
      assert.equal(get?.target, 'staging/STRIPE_KEY');
      assert.ok(!JSON.stringify(audit).includes(STRIPE));
    } finally {
      await store.close();
    }
  });

  test('config check lists every problem of an environment at once and exits 1', async () => {
    const r = await cli(dir.path, 'config', 'check', 'production');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /WORKERS/);
    assert.match(r.stderr, /STRIPE_KEY/);
    assert.match(r.stderr, /production: 2 config value problem\(s\)/);
    const ok = await cli(dir.path, 'config', 'check', 'staging');
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('config show --explain names each source, with the secret redacted', async () => {
    const r = await cli(dir.path, 'config', 'show', 'staging', '--explain');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /STRIPE_KEY \(secret\) = \[redacted\]\s+from secret store \(local\)/);
    assert.match(r.stdout, /WORKERS \(int\) = 2\s+from slipway.yaml environments.staging.config.values/);
    assert.ok(!r.stdout.includes(STRIPE));
  });

  test('config set stores a plain value above the .env file and refuses credentials', async () => {
    writeFileSync(join(dir.path, '.env.staging'), 'WORKERS=3\n');
    assert.equal((await cli(dir.path, 'config', 'set', 'staging', 'WORKERS', '5')).code, 0);
    const r = await cli(dir.path, 'config', 'show', 'staging', '--explain');
    assert.match(
      r.stdout,
      /WORKERS \(int\) = 5\s+from stored in slipway\n\s+overrode 3\s+from .*\.env\.staging/,
    );
    const refused = await cli(dir.path, 'config', 'set', 'staging', 'DB_PASSWORD', 'hunter2-long');
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /DB_PASSWORD is named like a credential; .*slipway secret set staging DB_PASSWORD/,
    );
    assert.equal((await cli(dir.path, 'config', 'unset', 'staging', 'WORKERS')).code, 0);
  });

  test('config diff reports the mustMatch mismatch and the staging host in production', async () => {
    const r = await cli(dir.path, 'config', 'diff', 'staging', 'production');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /LOG_LEVEL must match across environments/);
    assert.match(r.stdout, /DATABASE_URL/);
  });

  test('exec refuses to start the command on a broken config, and passes the exit code through otherwise', async () => {
    const marker = join(dir.path, 'started');
    const refused = await cli(
      dir.path,
      'exec',
      '--env',
      'production',
      '--',
      process.execPath,
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /production: 2 config value problem\(s\); .* was not started/);
    assert.equal(existsSync(marker), false, 'the command never ran');
    const check = `process.exit(process.env.STRIPE_KEY === ${JSON.stringify(STRIPE)} && process.env.WORKERS === '3' ? 7 : 9)`;
    const ran = await cli(dir.path, 'exec', '--env', 'staging', '--', process.execPath, '-e', check);
    assert.equal(ran.code, 7, ran.stderr);
  });

  test('secret rotate-key re-encrypts the store; the value stays readable', async () => {
    const before = readFileSync(join(dir.path, '.slipway/secret.key'), 'utf8');
    const r = await cli(dir.path, 'secret', 'rotate-key');
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(readFileSync(join(dir.path, '.slipway/secret.key'), 'utf8'), before);
    assert.equal((await cli(dir.path, 'secret', 'get', 'staging', 'STRIPE_KEY')).stdout, `${STRIPE}\n`);
  });

  test('secret rm removes every version; an error about it never shows the value', async () => {
    assert.equal((await cli(dir.path, 'secret', 'rm', 'staging', 'STRIPE_KEY')).code, 0);
    const gone = await cli(dir.path, 'secret', 'get', 'staging', 'STRIPE_KEY');
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no staging\/STRIPE_KEY in the local secret store/);
  });
});
