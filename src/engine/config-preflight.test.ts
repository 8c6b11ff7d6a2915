import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { FakeSecretStore } from '../secrets/fake-secret-store.ts';
import { tempDir } from '../testing.ts';
import { configPreflight } from './config-preflight.ts';
import type { DeploymentContext } from './context.ts';
import { StoreSecrets } from './secrets.ts';

const YAML = `app: shop
run: { command: node server.js }
config:
  require: { DATABASE_URL: url, CACHE_URL: url, STRIPE_KEY: secret, WORKERS: int }
environments:
  staging:
    config: { values: { DATABASE_URL: "postgres://db.staging.internal/shop", CACHE_URL: "redis://cache.internal", WORKERS: 2 } }
  production:
    after: staging
    config: { values: { DATABASE_URL: "postgres://db.staging.internal/shop", CACHE_URL: "redis://10.0.0.5", WORKERS: lots } }
secretScan:
  allow: [{ file: fixtures/*.pem, rule: private-key, reason: test fixture }]
`;
const PEM =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n';

function config(): SlipwayConfig {
  const r = parseConfig(YAML, 'slipway.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.config;
}

test('preflight lists every config problem, scan finding and drift error at once; warnings become notes', async () => {
  const dir = tempDir();
  try {
    const release = join(dir.path, 'release');
    mkdirSync(join(release, 'fixtures'), { recursive: true });
    writeFileSync(join(release, 'fixtures/test.pem'), PEM);
    writeFileSync(join(release, 'app.js'), `const token = 'ghp_${'x1Y2z3'.repeat(7)}';\n`);
    const secrets = new FakeSecretStore();
    await secrets.set('staging', 'STRIPE_KEY', 'sk_test_preflight_value_1');
    const port = new StoreSecrets(secrets);
    const ctx = {
      env: 'production',
      release: { id: 'r1', version: '1', digest: 'd', cwd: release },
    } as DeploymentContext;
    const result = await configPreflight(
      {
        config: config(),
        projectDir: dir.path,
        dataDir: join(dir.path, '.slipway'),
        secrets,
        port,
        processEnv: {},
      },
      ctx,
    );
    assert.deepEqual(
      result.problems.map((p) => p.replace(/:.*$/s, '')),
      ['config', 'config', 'secret scan', 'drift from staging', 'drift from staging'],
      result.problems.join('\n'),
    );
    assert.match(result.problems.join('\n'), /WORKERS/);
    assert.match(result.problems.join('\n'), /STRIPE_KEY/);
    assert.match(result.problems.join('\n'), /secret scan: app\.js:1 {2}github-token/);
    assert.match(result.problems.join('\n'), /DATABASE_URL .*"staging"/);
    assert.match(result.problems.join('\n'), /STRIPE_KEY is set in staging but missing in production/);
    assert.match(result.problems.join('\n'), /slipway secret set production STRIPE_KEY/);
    assert.match(result.notes?.join('\n') ?? '', /1 finding\(s\) accepted by secretScan.allow/);
    assert.match(result.notes?.join('\n') ?? '', /CACHE_URL .*private address/);
    assert.equal(
      port.redact('x sk_test_preflight_value_1 y'),
      'x [redacted:STRIPE_KEY] y',
      'the port learnt the value',
    );
  } finally {
    dir.cleanup();
  }
});
