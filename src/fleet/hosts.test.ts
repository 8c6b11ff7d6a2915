import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { fleetOf } from './hosts.ts';

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
