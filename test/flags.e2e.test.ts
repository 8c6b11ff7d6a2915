/**
 * Feature flags end to end against a real server (HTTP on loopback, SQLite store): the CLI through
 * SLIPWAY_URL, roles on the API, OFREP single and bulk with ETag, and the OpenFeature provider synced
 * over the change stream — a rollout and a kill reach it, and it keeps its flags when the server goes.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { parseConfig } from '../src/config/load.ts';
import { SlipwayProvider } from '../src/flags/provider.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { BACKENDS } from '../src/store/testing.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const sqlite = BACKENDS.find((b) => b.name === 'sqlite');
const FLAGS = {
  flags: {
    'new-checkout': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 5],
          ['off', 95],
        ],
      },
    },
  },
};

/** Wait (bounded) until `check` holds; the bound is a hang guard, not a speed assertion. */
async function until(check: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('flags through a real server', { skip: !sqlite && 'no SQLite backend selected' }, () => {
  const dir = tempDir('slipway-flags-e2e-');
  let t: TestServer;
  let viewer: string;
  let deployer: string;
  const asRemote = async (token: string, ...argv: string[]) => {
    process.env.SLIPWAY_URL = t.url;
    process.env.SLIPWAY_TOKEN = token;
    try {
      return await cli(dir.path, ...argv);
    } finally {
      delete process.env.SLIPWAY_URL;
      delete process.env.SLIPWAY_TOKEN;
    }
  };

  before(async () => {
    const loaded = parseConfig(
      readFileSync(join(repoRoot, 'examples/shop/slipway.yaml'), 'utf8'),
      'slipway.yaml',
    );
    assert.ok(loaded.ok);
    t = await startTestServer(sqlite as NonNullable<typeof sqlite>, { config: loaded.config });
    viewer = await t.user('vera', [{ env: 'production', role: 'viewer' }]);
    deployer = await t.user('dora', [{ env: 'production', role: 'deployer' }]);
    writeFileSync(join(dir.path, 'flags.json'), JSON.stringify(FLAGS));
  });
  after(async () => {
    await OpenFeature.close();
    await t?.close();
    dir.cleanup();
  });

  test('the CLI imports, rolls out and lists through the server; a viewer may not change flags', async () => {
    const refused = await asRemote(
      viewer,
      'flags',
      'import',
      'flags.json',
      '--env',
      'production',
      '--reason',
      'seed',
    );
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /FORBIDDEN.*may not deploy on production/);
    const imported = await asRemote(
      deployer,
      'flags',
      'import',
      'flags.json',
      '--env',
      'production',
      '--reason',
      'seed',
    );
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /new-checkout: version 1, 5% on/);
    const listed = await asRemote(viewer, 'flags', 'list', '--env', 'production');
    assert.match(listed.stdout, /new-checkout\s+boolean\s+ENABLED\s+5% on\s+1\s+\S+\s+dora/);
    const bad = await asRemote(
      deployer,
      'flags',
      'set',
      'broken',
      '--env',
      'production',
      '--reason',
      'x',
      '--definition',
      '{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":{"fractional":[["on",60],["off",60]]}}',
    );
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /FLAGS_INVALID.*flag "broken" at \/flags\/broken\/targeting\/fractional: the weights add up to 120/,
    );
    const audit = await t.store.listAuditByTarget('shop/production/flag/new-checkout');
    assert.deepEqual(
      audit.map((a) => [a.actor, a.action, (a.data as { reason: string }).reason]),
      [['dora', 'flag.import', 'seed']],
    );
  });

  test('OFREP: one flag, every flag with an ETag, and a 304 for the same revision and context', async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      t.request(`/api/flags/production/ofrep/v1/evaluate/flags${path}`, {
        method: 'POST',
        token: viewer,
        body: JSON.stringify(body),
        headers,
      });
    const one = await post('/new-checkout', { context: { targetingKey: 'user-1' } });
    assert.equal(one.status, 200);
    // user-1 hashes past the first 5 of 100 (conformance vectors): off.
    assert.deepEqual(await one.json(), {
      key: 'new-checkout',
      value: false,
      reason: 'TARGETING_MATCH',
      variant: 'off',
      metadata: {},
    });
    const missing = await post('/nope', { context: {} });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errorCode: string }).errorCode, 'FLAG_NOT_FOUND');
    const badContext = await post('/new-checkout', { context: 42 });
    assert.equal(badContext.status, 400);
    const bulk = await post('', { context: { targetingKey: 'user-1' } });
    assert.equal(bulk.status, 200);
    const tag = bulk.headers.get('etag') as string;
    assert.ok(tag);
    assert.equal(
      (await post('', { context: { targetingKey: 'user-1' } }, { 'if-none-match': tag })).status,
      304,
    );
    assert.equal(
      (await post('', { context: { targetingKey: 'user-2' } }, { 'if-none-match': tag })).status,
      200,
    );
  });

  test('the provider follows a rollout and a kill, and keeps its flags while the server is away', async () => {
    const cacheFile = join(dir.path, 'flags-cache.json');
    const provider = new SlipwayProvider({
      url: t.url,
      token: viewer,
      env: 'production',
      cacheFile,
      maxRetryMs: 200,
    });
    await OpenFeature.setProviderAndWait(provider);
    const client = OpenFeature.getClient();
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const onCount = async () => {
      let n = 0;
      for (const u of users)
        if (await client.getBooleanValue('new-checkout', false, { targetingKey: u })) n++;
      return n;
    };
    const atFive = await onCount();
    assert.ok(atFive > 0 && atFive < 40, `about 5% of 200 users on, got ${atFive}`);
    const rolled = await asRemote(
      deployer,
      'flags',
      'rollout',
      'new-checkout',
      '--env',
      'production',
      '--percent',
      '100',
      '--reason',
      'all in',
    );
    assert.equal(rolled.code, 0, rolled.stderr);
    await until(async () => (await onCount()) === 200, 'the rollout to reach the provider');
    const killed = await asRemote(
      deployer,
      'flags',
      'kill',
      'new-checkout',
      '--env',
      'production',
      '--reason',
      'errors up',
    );
    assert.equal(killed.code, 0, killed.stderr);
    await until(async () => (await onCount()) === 0, 'the kill to reach the provider');
    const details = await client.getBooleanDetails('new-checkout', true, { targetingKey: 'user-1' });
    assert.deepEqual([details.value, details.variant, details.reason], [false, 'off', 'STATIC']);
    assert.equal(JSON.parse(readFileSync(cacheFile, 'utf8')).revision, provider.revision);

    let stale = false;
    provider.events.addHandler(ProviderEvents.Stale, () => {
      stale = true;
    });
    await t.server.close();
    await until(() => stale, 'the provider to say its flags are stale');
    assert.equal(await client.getBooleanValue('new-checkout', true, { targetingKey: 'user-1' }), false);
    // A new provider started while the server is away begins from the cache file.
    const cold = new SlipwayProvider({
      url: t.url,
      token: viewer,
      env: 'production',
      cacheFile,
      initTimeoutMs: 300,
    });
    await cold.initialize();
    assert.equal(
      (await cold.resolveBooleanEvaluation('new-checkout', true, { targetingKey: 'u' })).value,
      false,
    );
    await cold.onClose();
  });
});
