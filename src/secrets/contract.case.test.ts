/**
 * The SecretStore contract suite. Each provider's test calls `runSecretStoreContract` (local,
 * vault against its recorded contract, the fake); on its own this file defines no tests.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import type { SecretStore } from './contract.ts';

export interface ContractSetup {
  store: SecretStore;
  cleanup: () => Promise<void>;
}

export interface ContractOptions {
  /** Suite title, e.g. "local secret store". */
  readonly name: string;
  /** A fresh, empty store; called once per test. */
  readonly create: () => Promise<ContractSetup>;
  /** Tests this provider skips, each with the reason. */
  readonly skip?: readonly { readonly reason: string; readonly tests: readonly string[] }[];
}

export function runSecretStoreContract(options: ContractOptions): void {
  const skipReason = (title: string) => options.skip?.find((s) => s.tests.includes(title))?.reason;
  describe(`SecretStore contract: ${options.name}`, () => {
    let setup: ContractSetup;
    const it = (title: string, fn: (store: SecretStore) => Promise<void>) =>
      test(title, { skip: skipReason(title) ?? false }, async () => {
        setup = await options.create();
        try {
          await fn(setup.store);
        } finally {
          await setup.store.close();
          await setup.cleanup();
        }
      });

    it('an empty store has nothing', async (s) => {
      assert.equal(await s.get('staging', 'STRIPE_KEY'), undefined);
      assert.deepEqual(await s.versions('staging', 'STRIPE_KEY'), []);
      assert.deepEqual(await s.list('staging'), []);
    });

    it('set creates versions 1, 2, ... and get reads the latest or a given version', async (s) => {
      assert.equal(await s.set('staging', 'STRIPE_KEY', 'first'), 1);
      assert.equal(await s.set('staging', 'STRIPE_KEY', 'second'), 2);
      assert.equal(await s.get('staging', 'STRIPE_KEY'), 'second');
      assert.equal(await s.get('staging', 'STRIPE_KEY', 1), 'first');
      assert.equal(await s.get('staging', 'STRIPE_KEY', 2), 'second');
      assert.equal(await s.get('staging', 'STRIPE_KEY', 3), undefined);
      const versions = await s.versions('staging', 'STRIPE_KEY');
      assert.deepEqual(
        versions.map((v) => v.version),
        [1, 2],
      );
      for (const v of versions) assert.ok(!Number.isNaN(Date.parse(v.createdAt)), v.createdAt);
    });

    it('list names keys and versions, sorted, never values', async (s) => {
      await s.set('production', 'ZETA', 'value-zeta-1');
      await s.set('production', 'ALPHA', 'value-alpha-1');
      await s.set('production', 'ALPHA', 'value-alpha-2');
      const listing = await s.list('production');
      assert.deepEqual(listing, [
        { key: 'ALPHA', versions: [1, 2], latest: 2 },
        { key: 'ZETA', versions: [1], latest: 1 },
      ]);
      assert.ok(!JSON.stringify(listing).includes('value-'));
    });

    it('environments are separate', async (s) => {
      await s.set('staging', 'DB_PASSWORD', 'staging-pw');
      await s.set('production', 'DB_PASSWORD', 'production-pw');
      assert.equal(await s.get('staging', 'DB_PASSWORD'), 'staging-pw');
      assert.equal(await s.get('production', 'DB_PASSWORD'), 'production-pw');
      assert.deepEqual(await s.list('dev'), []);
    });

    it('remove leaves a tombstone: the key is gone, pinned versions stay readable, no version is reused', async (s) => {
      await s.set('staging', 'K', 'a');
      await s.set('staging', 'K', 'b');
      await s.set('staging', 'OTHER', 'o');
      await s.remove('staging', 'K');
      await s.remove('staging', 'K');
      await s.remove('staging', 'NEVER_SET');
      assert.equal(await s.get('staging', 'K'), undefined);
      assert.deepEqual(await s.versions('staging', 'K'), []);
      assert.deepEqual(
        (await s.list('staging')).map((l) => l.key),
        ['OTHER'],
      );
      // A deployment pinned to K@1 (and a rollback to it) still gets exactly what it ran with.
      assert.equal(await s.get('staging', 'K', 1), 'a');
      assert.equal(await s.get('staging', 'K', 2), 'b');
      const again = await s.set('staging', 'K', 'c');
      assert.ok(again > 2, `a re-set key continues the numbering (got version ${again})`);
      assert.equal(await s.get('staging', 'K', 1), 'a', 'version 1 still means the old value');
      assert.equal(await s.get('staging', 'K'), 'c');
      assert.deepEqual(
        (await s.versions('staging', 'K')).map((v) => v.version),
        [again],
      );
    });

    it('values round-trip byte for byte: empty, unicode, newlines, 64 KiB', async (s) => {
      const values = [
        '',
        'ünïcødé ✓ 🔑',
        'line1\nline2\r\n\ttab',
        '"quotes" and \\ backslash',
        'x'.repeat(65536),
      ];
      for (const [i, v] of values.entries()) {
        await s.set('staging', `V${i}`, v);
        assert.equal(await s.get('staging', `V${i}`), v);
      }
    });

    it('concurrent sets each get their own version', async (s) => {
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => s.set('staging', 'RACE', `v${n}`)));
      assert.deepEqual(
        [...results].sort((a, b) => a - b),
        [1, 2, 3, 4, 5],
      );
      for (const [i, version] of results.entries()) {
        assert.equal(await s.get('staging', 'RACE', version), `v${i + 1}`);
      }
    });

    it('bad names and versions are AppErrors naming the problem', async (s) => {
      const usage = (re: RegExp) => (e: unknown) => isAppError(e) && e.code === 'USAGE' && re.test(e.message);
      await assert.rejects(s.get('staging', 'bad key'), usage(/secret key "bad key" is not valid/));
      await assert.rejects(s.set('staging', '../etc', 'x'), usage(/secret key/));
      await assert.rejects(s.set('prod/x', 'K', 'x'), usage(/environment name "prod\/x"/));
      await assert.rejects(s.get('staging', 'K', 0), usage(/version 0 is not valid/));
      await assert.rejects(s.get('staging', 'K', 1.5), usage(/version 1.5/));
      await assert.rejects(s.set('staging', 'K', 42 as unknown as string), usage(/must be a string/));
    });
  });
}
