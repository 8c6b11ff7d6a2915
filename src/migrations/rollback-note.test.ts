/** What `slipway rollback` says about the database, read from a real SQLite store's audit log. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../store/factory.ts';
import { tempDir } from '../testing.ts';
import { rollbackDatabaseNote } from './rollback-note.ts';

test('expand migrations of newer releases need no restore; a contract phase names its backup', async (t) => {
  const dir = tempDir('slipway-rbnote-');
  const store = await openStore(join(dir.path, 'slipway.db'), dir.path);
  t.after(async () => {
    await store.close();
    dir.cleanup();
  });
  const put = async (version: string, digit: string) =>
    (
      await store.putRelease({
        app: 'shop',
        version,
        digest: `sha256:${digit.repeat(64)}`,
        commit: null,
        ci: 'passed',
        createdBy: 'alice',
        files: 1,
        bytes: 1,
        notes: null,
      })
    ).release;
  const v1 = await put('1.0.0', '1');
  await new Promise((r) => setTimeout(r, 5)); // createdAt orders releases
  const v2 = await put('2.0.0', '2');
  await new Promise((r) => setTimeout(r, 5));
  await put('3.0.0', '3');
  const applied = (data: Record<string, unknown>) =>
    store.appendAudit({ actor: 'alice', action: 'migrations.applied', target: 'shop/staging', data });

  assert.equal(await rollbackDatabaseNote(store, 'shop', 'staging', v1), null, 'nothing migrated yet');
  await applied({ release: '1.0.0', phase: 'expand', files: ['0001_init.sql'], backup: 'b1' });
  assert.equal(
    await rollbackDatabaseNote(store, 'shop', 'staging', v1),
    null,
    "its own migrations don't count",
  );
  await applied({ release: '2.0.0', phase: 'expand', files: ['0002_add.sql'], backup: 'b2' });
  assert.equal(
    await rollbackDatabaseNote(store, 'shop', 'staging', v1),
    'the database keeps 0002_add.sql (expand migrations of 2.0.0): 1.0.0 runs on the expanded schema, so no database restore is needed',
  );
  await store.appendAudit({
    actor: 'alice',
    action: 'migrations.applied',
    target: 'shop/production',
    data: { release: '3.0.0', phase: 'contract', files: ['0003_drop.sql'], backup: 'other-env' },
  });
  await applied({ release: '3.0.0', phase: 'contract', files: ['0003_drop.sql'], backup: 'b3' });
  assert.equal(
    await rollbackDatabaseNote(store, 'shop', 'staging', v2),
    'the database had a contract phase after 2.0.0 (0003_drop.sql for 3.0.0): 2.0.0 may need the old schema; restore the backup taken before it with `slipway db restore staging --to b3`',
  );
});
