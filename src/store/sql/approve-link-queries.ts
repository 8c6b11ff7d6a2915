/** Approve links over SQL (ApproveLinkStore of src/notify/approve-link.ts): the key and each link's one use. */
import type { Kysely } from 'kysely';
import type { ApproveLink, ApproveLinkStore } from '../../notify/approve-link.ts';
import type { Tables } from './tables.ts';

export class SqlApproveLinks implements ApproveLinkStore {
  readonly #db: Kysely<Tables>;
  readonly #now: () => Date;
  #key: Buffer | undefined;

  constructor(db: Kysely<Tables>, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  async key(): Promise<Buffer> {
    if (this.#key) return this.#key;
    const row = await this.#db
      .selectFrom('slipway_meta')
      .select('value')
      .where('key', '=', 'approve_link_key')
      .executeTakeFirst();
    if (!row) throw new Error('the store has no approve link key (schema older than 10)');
    this.#key = Buffer.from(row.value, 'base64');
    return this.#key;
  }

  async issue(link: { nonce: string; deploymentId: string; expiresAt: string }): Promise<void> {
    await this.#db
      .insertInto('approve_links')
      .values({
        nonce: link.nonce,
        deployment_id: link.deploymentId,
        expires_at: link.expiresAt,
        created_at: this.#now().toISOString(),
        used_at: null,
        used_by: null,
      })
      .execute();
  }

  async find(nonce: string): Promise<ApproveLink | undefined> {
    const r = await this.#db
      .selectFrom('approve_links')
      .selectAll()
      .where('nonce', '=', nonce)
      .executeTakeFirst();
    return r
      ? {
          nonce: r.nonce,
          deploymentId: r.deployment_id,
          expiresAt: r.expires_at,
          usedAt: r.used_at,
          usedBy: r.used_by,
        }
      : undefined;
  }

  async use(nonce: string, user: string): Promise<boolean> {
    const r = await this.#db
      .updateTable('approve_links')
      .set({ used_at: this.#now().toISOString(), used_by: user })
      .where('nonce', '=', nonce)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
