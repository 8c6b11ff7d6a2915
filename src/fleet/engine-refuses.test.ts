/**
 * `slipway deploy` to an environment with hosts is driven through the hosts (src/fleet/plane.ts):
 * with none reachable it stops before a deployment is created, naming each host and why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli } from '../../test/cli-helpers.ts';
import { lockName } from '../engine/executor.ts';
import { openStore } from '../store/factory.ts';
import { repoRoot, tempDir } from '../testing.ts';

test('slipway deploy to an environment whose hosts cannot be reached names them and starts nothing', async () => {
  const dir = tempDir('slipway-fleet-refuse-');
  try {
    writeFileSync(
      join(dir.path, 'slipway.yaml'),
      'app: shop\nrun: { command: node server.js }\nenvironments:\n  production:\n    router: { driver: haproxy, port: 18090 }\n    hosts: [{ address: 127.0.0.1, port: 1, key: id_none }]\n',
    );
    cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b'), { recursive: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir.path, 'id_none')]);
    assert.equal(
      (await cli(dir.path, 'release', 'create', '--version', '1.0.0', '--ci', 'passed', 'b')).code,
      0,
    );
    const deploy = await cli(dir.path, 'deploy', '1.0.0', '--env', 'production');
    assert.equal(deploy.code, 4, deploy.stderr);
    assert.match(deploy.stderr, /cannot reach the agent on any host of production .*127\.0\.0\.1 \(/);
    const history = await cli(dir.path, '--json', 'history', '--env', 'production');
    assert.deepEqual(JSON.parse(history.stdout), [], 'no deployment was created');
    // A deployment in flight holds the environment's lock: hosts deploy waits for no one and changes nothing.
    const store = await openStore(undefined, dir.path, { dataDir: join(dir.path, '.slipway') });
    const owner = { id: 'd-123@1', pid: 1, host: hostname() };
    assert.ok((await store.acquireLock(lockName('shop', 'production'), owner, 60_000)).acquired);
    const busy = await cli(dir.path, 'hosts', 'deploy', '1.0.0', '--env', 'production');
    await store.releaseLock(lockName('shop', 'production'), owner);
    await store.close();
    assert.equal(busy.code, 3, busy.stderr);
    assert.match(busy.stderr, /LOCK_HELD.*production is busy: d-123 is driven by process 1 on/);
    const status = await cli(dir.path, 'hosts', 'status', 'nowhere');
    assert.equal(status.code, 2);
    assert.match(status.stderr, /no environment nowhere in slipway\.yaml/);
  } finally {
    dir.cleanup();
  }
});

test('hosts deploy refuses an environment with gates, before anything connects, and names slipway deploy', async () => {
  const dir = tempDir('slipway-fleet-refuse-');
  try {
    writeFileSync(
      join(dir.path, 'slipway.yaml'),
      'app: shop\nrun: { command: node server.js }\nenvironments:\n  staging: {}\n  production:\n    after: staging\n    approval: { required: 1 }\n    router: { driver: haproxy, port: 18091 }\n    hosts: [{ address: 127.0.0.1, port: 1, key: id_none }]\n',
    );
    const r = await cli(dir.path, 'hosts', 'deploy', '1.0.0', '--env', 'production');
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      "error[USAGE]: hosts deploy applies none of production's gates (after: staging, approval); run `slipway deploy 1.0.0 --env production`, which applies them\n",
    );
  } finally {
    dir.cleanup();
  }
});
