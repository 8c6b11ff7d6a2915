/** Reading a secret needs the admin role where slipway.yaml names its users; refusals are audited. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../src/store/factory.ts';
import { tempDir } from '../src/testing.ts';
import { cli, cliWithStdin } from './cli-helpers.ts';

test('secret get: an admin reads, anyone else is refused and the refusal is audited', async () => {
  const dir = tempDir('slipway-secret-role-');
  const user = process.env.SLIPWAY_USER;
  try {
    delete process.env.SLIPWAY_SECRET_KEY;
    writeFileSync(
      join(dir.path, 'slipway.yaml'),
      'app: shop\nrun: { command: x }\nidentity: { allowSlipwayUser: true }\nusers: { alice: [admin], bob: [deployer] }\nenvironments: { staging: { secrets: [API_KEY] } }\n',
    );
    process.env.SLIPWAY_USER = 'alice';
    assert.equal((await cli(dir.path, 'secret', 'init')).code, 0);
    assert.equal(
      (await cliWithStdin(dir.path, 'k3y-value-1234\n', 'secret', 'set', 'staging', 'API_KEY')).code,
      0,
    );
    assert.equal((await cli(dir.path, 'secret', 'get', 'staging', 'API_KEY')).stdout, 'k3y-value-1234\n');
    process.env.SLIPWAY_USER = 'bob';
    const denied = await cli(dir.path, 'secret', 'get', 'staging', 'API_KEY');
    assert.equal(denied.code, 3);
    assert.equal(denied.stdout, '');
    assert.match(
      denied.stderr,
      /reading a secret needs the admin role; "bob" has deployer \(add admin under users: in slipway.yaml\)/,
    );
    const store = await openStore(join(dir.path, '.slipway/slipway.db'), dir.path);
    const audit = await store.listAudit();
    await store.close();
    assert.deepEqual(
      audit.filter((a) => a.action.startsWith('secret.get')).map((a) => [a.actor, a.action]),
      [
        ['alice', 'secret.get'],
        ['bob', 'secret.get.denied'],
      ],
    );
  } finally {
    if (user === undefined) delete process.env.SLIPWAY_USER;
    else process.env.SLIPWAY_USER = user;
    dir.cleanup();
  }
});
