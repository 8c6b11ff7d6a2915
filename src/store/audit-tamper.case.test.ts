/**
 * Audit tampering, the way someone with write access to the database would do it: edit a row,
 * delete one, swap two. `verifyAuditLog` must name the first bad entry on every backend.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEntry } from '../domain/types.ts';
import { verifyAuditLog } from './audit-verify.ts';
import type { StoreContractOptions } from './contract.case.test.ts';
import type { Store } from './contract.ts';

export function runAuditTamperSuite(options: StoreContractOptions): void {
  describe(`audit log tampering: ${options.name}`, async () => {
    const skip = await options.skip();
    const it = (name: string, fn: (s: Store) => Promise<void>) =>
      test(name, { skip }, async () => {
        const ctx = await options.open();
        try {
          for (let i = 1; i <= 5; i++)
            await ctx.store.appendAudit({ actor: 'alice', action: 'test', target: `t${i}`, data: { i } });
          assert.deepEqual(await verifyAuditLog(ctx.store), {
            entries: 5,
            broken: null,
            mismatch: null,
            anchorsChecked: 0,
          });
          await fn(ctx.store);
        } finally {
          await ctx.store.close().catch(() => {});
          await ctx.cleanup();
        }
      });

    it('names an edited entry', async (s) => {
      await options.exec(s, `update audit set data = '{"i":99}' where seq = 4`);
      const { broken } = await verifyAuditLog(s);
      assert.equal(broken?.seq, 4);
      assert.match(broken?.problem ?? '', /edited/);
    });

    it('names the entry after a removed one', async (s) => {
      await options.exec(s, 'delete from audit where seq = 2');
      const { broken } = await verifyAuditLog(s);
      assert.equal(broken?.seq, 3);
      assert.match(broken?.problem ?? '', /removed or reordered/);
    });

    it('names the first of two swapped entries', async (s) => {
      await options.exec(s, 'update audit set seq = -2 where seq = 2');
      await options.exec(s, 'update audit set seq = 2 where seq = 3');
      await options.exec(s, 'update audit set seq = 3 where seq = -2');
      const { broken } = await verifyAuditLog(s);
      assert.equal(broken?.seq, 2);
    });

    it('names an entry whose hash was recomputed without its successor', async (s) => {
      // Changing a row and its own hash still breaks the link of the entry after it.
      await options.exec(
        s,
        `update audit set actor = 'mallory', hash = 'sha256:${'f'.repeat(64)}' where seq = 1`,
      );
      const { broken } = await verifyAuditLog(s);
      assert.equal(broken?.seq, 1);
    });

    it('finds a log cut short, or replaced by another valid chain, against its anchor', async (s) => {
      const [head] = (await s.listAudit(4, 1)) as AuditEntry[];
      const anchor = { storeId: s.id, seq: 5, hash: (head as AuditEntry).hash, at: (head as AuditEntry).at };
      assert.equal((await verifyAuditLog(s, anchor)).mismatch, null);
      assert.equal((await verifyAuditLog(s, { ...anchor, storeId: 'store-other' })).anchorsChecked, 0);
      await options.exec(s, 'delete from audit where seq = 5');
      const cut = await verifyAuditLog(s, anchor);
      assert.equal(cut.broken, null, 'the chain itself still holds');
      assert.match(
        cut.mismatch ?? '',
        /the log has 4 entries, but the audit anchor .* saw entry 5: entries were cut off/,
      );
      await options.exec(s, 'delete from audit');
      for (let i = 1; i <= 6; i++)
        await s.appendAudit({ actor: 'mallory', action: 'test', target: `t${i}`, data: { i } });
      const swapped = await verifyAuditLog(s, anchor);
      assert.equal(swapped.broken, null);
      assert.match(swapped.mismatch ?? '', /entry 5 has hash .* the log was replaced/);
    });

    it('keeps the audit head in every deployment, which a cut log no longer matches', async (s) => {
      const d = await s.createDeployment({
        app: 'shop',
        env: 'staging',
        releaseId: 'rel-1',
        fromReleaseId: null,
        strategy: 'rolling',
        createdBy: 'alice',
        state: null,
      });
      assert.equal(d.auditHead?.seq, 5);
      assert.deepEqual((await s.getDeployment(d.id))?.auditHead, d.auditHead);
      await options.exec(s, 'delete from audit where seq >= 4');
      assert.match((await verifyAuditLog(s)).mismatch ?? '', new RegExp(`deployment ${d.id} .* saw entry 5`));
    });
  });
}
