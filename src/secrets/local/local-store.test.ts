import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { tempDir } from '../../testing.ts';
import { runSecretStoreContract } from '../contract.case.test.ts';
import { generateKey, initKeyFile, loadKey } from './key.ts';
import { LocalSecretStore, openLocalSecretStore, rotateKeyFile } from './local-store.ts';

runSecretStoreContract({
  name: 'local (encrypted file)',
  create: async () => {
    const dir = tempDir();
    return {
      store: new LocalSecretStore({ path: join(dir.path, 'secrets.json'), key: generateKey() }),
      cleanup: async () => dir.cleanup(),
    };
  },
});

const code = (c: string, re?: RegExp) => (e: unknown) =>
  isAppError(e) && e.code === c && (!re || re.test(e.message));

function withStore(
  fn: (ctx: { dir: string; path: string; key: Buffer; store: LocalSecretStore }) => Promise<void>,
) {
  return async () => {
    const dir = tempDir();
    const key = generateKey();
    const path = join(dir.path, 'secrets.json');
    try {
      await fn({ dir: dir.path, path, key, store: new LocalSecretStore({ path, key }) });
    } finally {
      dir.cleanup();
    }
  };
}

const modulePath = new URL('./local-store.ts', import.meta.url).href;

describe('local secret store', () => {
  test(
    'the file holds no plaintext, and the same value twice seals differently (fresh nonce)',
    withStore(async ({ path, store }) => {
      await store.set('production', 'STRIPE_KEY', 'sk_live_plaintext_canary');
      await store.set('production', 'STRIPE_KEY', 'sk_live_plaintext_canary');
      const text = readFileSync(path, 'utf8');
      assert.ok(!text.includes('plaintext_canary'));
      assert.ok(!text.includes(Buffer.from('sk_live_plaintext_canary').toString('base64')));
      const records = JSON.parse(text).secrets.production.STRIPE_KEY;
      assert.notEqual(records[0].nonce, records[1].nonce);
      assert.notEqual(records[0].data, records[1].data);
      assert.equal(statSync(path).mode & 0o777, 0o600);
    }),
  );

  test(
    'a wrong key is refused with the file and key origin named, and nothing is written',
    withStore(async ({ path, store }) => {
      await store.set('staging', 'K', 'v');
      const before = readFileSync(path);
      const other = new LocalSecretStore({ path, key: generateKey(), keyOrigin: 'key file k.key' });
      await assert.rejects(
        other.get('staging', 'K'),
        code(
          'SECRET_KEY_INVALID',
          /^cannot read secret staging\/K version 1: secret store .* was written with key id .* but key file k\.key has id/,
        ),
      );
      await assert.rejects(other.set('staging', 'K', 'x'), code('SECRET_KEY_INVALID'));
      await assert.rejects(other.rotateKey(generateKey()), code('SECRET_KEY_INVALID'));
      assert.deepEqual(readFileSync(path), before);
      assert.deepEqual(await other.list('staging'), [{ key: 'K', versions: [1], latest: 1 }]);
    }),
  );

  test(
    'a damaged or moved record names env/key/version; other versions still read; nothing is overwritten',
    withStore(async ({ path, store }) => {
      await store.set('staging', 'K', 'one');
      await store.set('staging', 'K', 'two');
      await store.set('staging', 'K', 'three');
      const file = JSON.parse(readFileSync(path, 'utf8'));
      const data = Buffer.from(file.secrets.staging.K[1].data, 'base64');
      data[0]! ^= 1;
      file.secrets.staging.K[1].data = data.toString('base64');
      // a record copied to another key must not decrypt there (env/key/version are bound in)
      file.secrets.staging.MOVED = [file.secrets.staging.K[0]];
      writeFileSync(path, JSON.stringify(file));
      const before = readFileSync(path);
      await assert.rejects(
        store.get('staging', 'K', 2),
        code('SECRET_DECRYPT_FAILED', /secret staging\/K version 2 in .* failed authentication/),
      );
      await assert.rejects(
        store.get('staging', 'MOVED'),
        code('SECRET_DECRYPT_FAILED', /staging\/MOVED version 1/),
      );
      assert.equal(await store.get('staging', 'K', 1), 'one');
      assert.equal(await store.get('staging', 'K'), 'three');
      await assert.rejects(store.rotateKey(generateKey()), code('SECRET_DECRYPT_FAILED'));
      assert.deepEqual(readFileSync(path), before);
      assert.equal(
        await store.get('staging', 'K'),
        'three',
        'the store keeps its old key after a failed rotation',
      );
    }),
  );

  test(
    'an unreadable file is SECRET_STORE_CORRUPT and is never replaced',
    withStore(async ({ path, store }) => {
      for (const content of [
        '{"format": "slipway-secrets/v1", "keyId": ',
        '{"format":"other"}',
        '{"format":"slipway-secrets/v1","keyId":"x","secrets":{"s":{"K":[{"version":"1"}]}}}',
      ]) {
        writeFileSync(path, content);
        await assert.rejects(store.get('s', 'K'), code('SECRET_STORE_CORRUPT', /left untouched/));
        await assert.rejects(store.set('s', 'K', 'v'), code('SECRET_STORE_CORRUPT'));
        assert.equal(readFileSync(path, 'utf8'), content);
      }
    }),
  );

  test(
    'a crash before the rename leaves the previous file whole and no temp file behind',
    withStore(async ({ dir, path, key, store }) => {
      await store.set('staging', 'K', 'kept');
      const before = readFileSync(path);
      const crashing = new LocalSecretStore({
        path,
        key,
        hooks: {
          beforeRename: () => {
            throw new Error('simulated crash');
          },
        },
      });
      await assert.rejects(crashing.set('staging', 'K', 'lost'), /simulated crash/);
      assert.deepEqual(readFileSync(path), before);
      assert.deepEqual(readdirSync(dir).sort(), ['secrets.json']);
      assert.equal(await crashing.set('staging', 'K', 'x').catch(() => 'again'), 'again');
      assert.equal(await store.get('staging', 'K'), 'kept');
    }),
  );

  test(
    'processes killed with SIGKILL while writing never leave a half-written file (real child processes)',
    withStore(async ({ path, key }) => {
      const script = `
        import { LocalSecretStore } from ${JSON.stringify(modulePath)};
        const store = new LocalSecretStore({ path: process.argv[1], key: Buffer.from(process.argv[2], 'base64') });
        for (let i = 0; ; i++) { await store.set('staging', 'K' + (i % 3), 'value-' + i); process.stdout.write('.'); }`;
      for (let round = 0; round < 4; round++) {
        const child = spawn(
          process.execPath,
          ['--input-type=module', '-e', script, path, key.toString('base64')],
          {
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        let writes = 0;
        await new Promise<void>((resolve) => {
          child.stdout.on('data', (d: Buffer) => {
            writes += d.length;
            if (writes >= 5 + round * 7) child.kill('SIGKILL');
          });
          child.on('exit', () => resolve());
        });
        const store = new LocalSecretStore({ path, key });
        for (const { key: name, versions } of await store.list('staging')) {
          if (name === 'AFTER') continue;
          for (const v of versions) assert.match((await store.get('staging', name, v))!, /^value-\d+$/);
        }
        // a lock left by the killed writer belongs to a dead pid and is taken over
        await store.set('staging', 'AFTER', 'ok');
      }
      // temp files of killed writers are swept by the next writer
      assert.deepEqual(
        readdirSync(join(path, '..')).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock')),
        [],
      );
    }),
  );

  test(
    'two processes writing at once lose no version (lock file)',
    withStore(async ({ path, key }) => {
      const script = `
        import { LocalSecretStore } from ${JSON.stringify(modulePath)};
        const store = new LocalSecretStore({ path: process.argv[1], key: Buffer.from(process.argv[2], 'base64') });
        for (let i = 0; i < 15; i++) await store.set('staging', 'SHARED', process.argv[3] + i);`;
      const run = (tag: string) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(
            process.execPath,
            ['--input-type=module', '-e', script, path, key.toString('base64'), tag],
            {
              stdio: 'inherit',
            },
          );
          child.on('exit', (c) => resolve(c));
        });
      assert.deepEqual(await Promise.all([run('a'), run('b')]), [0, 0]);
      const store = new LocalSecretStore({ path, key });
      const versions = (await store.versions('staging', 'SHARED')).map((v) => v.version);
      assert.deepEqual(
        versions,
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
    }),
  );

  test(
    'a lock left by a dead process, or an empty one that is old, is taken over',
    withStore(async ({ dir, path, key }) => {
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      writeFileSync(`${path}.lock`, String(dead));
      const store = new LocalSecretStore({ path, key, lockTimeoutMs: 2000 });
      assert.equal(await store.set('s', 'K', 'v1'), 1);
      writeFileSync(`${path}.lock`, '');
      utimesSync(`${path}.lock`, new Date(0), new Date(0));
      assert.equal(await store.set('s', 'K', 'v2'), 2);
      assert.deepEqual(readdirSync(dir).sort(), ['secrets.json']);
    }),
  );

  test(
    'a lock held by a live process times out with the lock file named',
    withStore(async ({ path, key }) => {
      writeFileSync(`${path}.lock`, String(process.pid));
      const store = new LocalSecretStore({ path, key, lockTimeoutMs: 50 });
      await assert.rejects(
        store.set('s', 'K', 'v'),
        code('SECRET_STORE_UNAVAILABLE', /locked by process \d+; .*delete .*secrets\.json\.lock/),
      );
    }),
  );

  test(
    'rotateKeyFile re-encrypts every version; the old key no longer opens the store',
    withStore(async ({ dir, path }) => {
      const keyFile = join(dir, 'keys', 'secret.key');
      initKeyFile(keyFile);
      const store = openLocalSecretStore({ path, keyFile, env: {} });
      await store.set('staging', 'A', 'a1');
      await store.set('staging', 'A', 'a2');
      await store.set('production', 'B', 'b1');
      const oldKey = loadKey({ keyFile });
      assert.equal(await rotateKeyFile(store, keyFile), 3);
      assert.ok(!existsSync(`${keyFile}.new`));
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.notDeepEqual(loadKey({ keyFile }), oldKey);
      assert.equal(await store.get('staging', 'A', 1), 'a1');
      const reopened = openLocalSecretStore({ path, keyFile, env: {} });
      assert.equal(await reopened.get('production', 'B'), 'b1');
      assert.equal(await reopened.get('staging', 'A'), 'a2');
      await assert.rejects(
        new LocalSecretStore({ path, key: oldKey }).get('staging', 'A'),
        code('SECRET_KEY_INVALID'),
      );
    }),
  );
});
