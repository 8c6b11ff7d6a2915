/**
 * Feature flag versions over SQL (the FlagStore of src/flags/contract.ts). Each change is a new row
 * written in the same transaction as its audit entry; SqlStore supplies that transaction.
 */
import type { Kysely, Selectable } from 'kysely';
import { AppError } from '../../domain/errors.ts';
import type { NewAuditEntry } from '../../domain/types.ts';
import type { FlagAction, FlagChange, FlagStore, StoredFlag } from '../../flags/contract.ts';
import type { Tables } from './tables.ts';

type Db = Kysely<Tables>;
type Audited = <T>(
  work: (trx: Db) => Promise<T>,
  entries: (result: T) => readonly NewAuditEntry[],
) => Promise<unknown>;

const toFlag = (r: Selectable<Tables['flag_versions']>): StoredFlag => ({
  app: r.app,
  env: r.env,
  key: r.key,
  version: Number(r.version),
  definition: r.definition === null ? null : JSON.parse(r.definition),
  action: r.action as FlagAction,
  by: r.by,
  reason: r.reason,
  at: r.at,
  seq: Number(r.seq),
});

export class SqlFlagStore implements FlagStore {
  readonly #db: Db;
  readonly #audited: Audited;
  readonly #iso: () => string;

  constructor(db: Db, audited: Audited, iso: () => string) {
    this.#db = db;
    this.#audited = audited;
    this.#iso = iso;
  }

  async putFlags(changes: readonly FlagChange[]): Promise<readonly StoredFlag[]> {
    let written: StoredFlag[] = [];
    await this.#audited(
      async (trx) => {
        written = [];
        const at = this.#iso();
        for (const ch of changes) {
          const current = await latest(trx, ch.app, ch.env, ch.key);
          const version = current?.version ?? 0;
          if (ch.ifVersion !== undefined && ch.ifVersion !== version)
            throw new AppError(
              'FLAG_CONFLICT',
              `flag "${ch.key}" in ${ch.env} is at version ${version}, not ${ch.ifVersion}: someone changed it meanwhile; read it again (\`slipway flags get ${ch.key} --env ${ch.env}\`) and retry`,
            );
          const row = await trx
            .insertInto('flag_versions')
            .values({
              app: ch.app,
              env: ch.env,
              key: ch.key,
              version: version + 1,
              definition: ch.definition === null ? null : JSON.stringify(ch.definition),
              action: ch.action,
              by: ch.by,
              reason: ch.reason,
              at,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          written.push(toFlag(row));
        }
        return written;
      },
      (rows) =>
        rows.map((f) => ({
          actor: f.by,
          action: `flag.${f.action}`,
          target: `${f.app}/${f.env}/flag/${f.key}`,
          data: { version: f.version, reason: f.reason, state: f.definition?.state ?? 'removed' },
        })),
    );
    return written;
  }

  async getFlag(app: string, env: string, key: string): Promise<StoredFlag | undefined> {
    return latest(this.#db, app, env, key);
  }

  async listFlags(app: string, env: string): Promise<readonly StoredFlag[]> {
    const rows = await this.#db
      .selectFrom('flag_versions as f')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('flag_versions')
            .select(['key', (e) => e.fn.max('version').as('top')])
            .where('app', '=', app)
            .where('env', '=', env)
            .groupBy('key')
            .as('t'),
        (join) => join.onRef('t.key', '=', 'f.key').onRef('t.top', '=', 'f.version'),
      )
      .selectAll('f')
      .where('f.app', '=', app)
      .where('f.env', '=', env)
      .where('f.definition', 'is not', null)
      .orderBy('f.key')
      .execute();
    return rows.map(toFlag);
  }

  async flagHistory(app: string, env: string, key: string, limit = 100): Promise<readonly StoredFlag[]> {
    const rows = await this.#db
      .selectFrom('flag_versions')
      .selectAll()
      .where('app', '=', app)
      .where('env', '=', env)
      .where('key', '=', key)
      .orderBy('version', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toFlag);
  }

  async flagRevision(app: string, env: string): Promise<number> {
    const row = await this.#db
      .selectFrom('flag_versions')
      .select((e) => e.fn.max('seq').as('top'))
      .where('app', '=', app)
      .where('env', '=', env)
      .executeTakeFirst();
    return Number(row?.top ?? 0);
  }
}

async function latest(db: Db, app: string, env: string, key: string): Promise<StoredFlag | undefined> {
  const row = await db
    .selectFrom('flag_versions')
    .selectAll()
    .where('app', '=', app)
    .where('env', '=', env)
    .where('key', '=', key)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toFlag(row) : undefined;
}
