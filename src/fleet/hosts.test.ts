import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import type { SecretStore } from '../secrets/contract.ts';
import { fleetOf, withSecretKeys } from './hosts.ts';

const config = (() => {
  const result = parseConfig(
    `app: shop\nrun: { command: node server.js, instances: 2 }\nenvironments:\n  production:\n    router: { driver: haproxy, port: 8080 }\n    hosts:\n      - { address: 10.0.0.11 }\n      - { address: 10.0.0.12, user: deploy, port: 2222, instances: 3, key: keys/deploy, dir: ~/apps/shop, agent: /opt/slipway/bin/slipway, roles: [web, worker] }\n  staging: {}\n`,
    'slipway.yaml',
  );
  assert.ok(result.ok);
  return result.config;
})();

test('hosts get their defaults, keys relative to slipway.yaml, and a ~/ folder under the home', () => {
  const fleet = fleetOf(config, 'production', '/srv/project', '/srv/project/.slipway');
  assert.deepEqual(fleet.hosts, [
    {
      address: '10.0.0.11',
      port: 22,
      user: 'root',
      roles: [],
      instances: 2,
      dir: '.slipway-host/shop',
      agent: 'slipway',
    },
    {
      address: '10.0.0.12',
      port: 2222,
      user: 'deploy',
      key: '/srv/project/keys/deploy',
      roles: ['web', 'worker'],
      instances: 3,
      dir: 'apps/shop',
      agent: '/opt/slipway/bin/slipway',
    },
  ]);
});

test('an environment without hosts, or none of that name, is named with the fix', () => {
  assert.throws(
    () => fleetOf(config, 'staging', '/p', '/p/.slipway'),
    /environment staging lists no hosts; add environments\.staging\.hosts/,
  );
  assert.throws(
    () => fleetOf(config, 'nowhere', '/p', '/p/.slipway'),
    /no environment nowhere in slipway\.yaml/,
  );
});

test('a key from the secret store is read into memory; a missing one names the command that stores it (fake store)', async () => {
  const yaml = `app: shop\nrun: { command: node server.js }\nenvironments:\n  production:\n    router: { driver: haproxy, port: 8080 }\n    hosts:\n      - { address: 10.0.0.11, keySecret: SSH_KEY }\n      - { address: 10.0.0.12, keySecret: OTHER_KEY }\n`;
  const parsed = parseConfig(yaml, 'slipway.yaml');
  assert.ok(parsed.ok);
  const fleet = fleetOf(parsed.config, 'production', '/p', '/p/.slipway');
  const values: Record<string, string> = {
    SSH_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----',
  };
  const store = {
    name: 'fake',
    get: async (_env: string, key: string) => values[key],
  } as unknown as SecretStore;
  await assert.rejects(
    withSecretKeys(fleet, () => store),
    /host 10\.0\.0\.12: hosts\[\]\.keySecret names OTHER_KEY, which the fake secret store does not hold for production; store the key with `slipway secret set production OTHER_KEY --from-stdin < PRIVATE_KEY_FILE`/,
  );
  values.OTHER_KEY = 'k2';
  const withKeys = await withSecretKeys(fleet, () => store);
  assert.equal(withKeys.hosts[0]?.privateKey?.toString(), `${values.SSH_KEY}\n`);
  assert.equal(withKeys.hosts[0]?.keySource, 'secret SSH_KEY of production');
  let opened = false;
  const plain = fleetOf(config, 'production', '/p', '/p/.slipway');
  assert.equal(
    await withSecretKeys(plain, () => {
      opened = true;
      return store;
    }),
    plain,
  );
  assert.equal(opened, false, 'no store is opened when no host names a key secret');
});
