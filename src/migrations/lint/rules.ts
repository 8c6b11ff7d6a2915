/**
 * The lint rules: what each catches, the lock PostgreSQL takes for it (from the documentation of
 * ALTER TABLE, CREATE INDEX and "Explicit Locking"), why that hurts a running release, and the
 * safe way to write the same change. `contract` rules break the release still running (it reads
 * or writes what the statement removes), so a migration with one is a contract migration.
 */
export const LOCKS = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;
export type LockMode = (typeof LOCKS)[number] | 'none';

export interface Rule {
  readonly id: string;
  readonly lock: LockMode;
  /** Breaks the release still serving: only in a contract migration, after the code stopped using it. */
  readonly contract: boolean;
  readonly why: string;
  readonly fix: string;
}

const rule = (r: Rule): Rule => r;

export const RULES = {
  'drop-column': rule({
    id: 'drop-column',
    lock: 'ACCESS EXCLUSIVE',
    contract: true,
    why: 'dropping a column breaks the release still running, which selects or inserts it',
    fix: 'ship a release that no longer reads or writes the column first, then drop it in a later migration marked `-- slipway:contract-after THAT_RELEASE`',
  }),
  'drop-table': rule({
    id: 'drop-table',
    lock: 'ACCESS EXCLUSIVE',
    contract: true,
    why: 'dropping a table breaks the release still running, which queries it, and its data cannot be rolled back',
    fix: 'stop using the table in a release first, then drop it in a later migration marked `-- slipway:contract-after THAT_RELEASE`',
  }),
  'rename-column': rule({
    id: 'rename-column',
    lock: 'ACCESS EXCLUSIVE',
    contract: true,
    why: 'renaming a column breaks the release still running, which uses the old name',
    fix: 'add the new column, write both, backfill in batches, switch reads, then drop the old one in a later release',
  }),
  'rename-table': rule({
    id: 'rename-table',
    lock: 'ACCESS EXCLUSIVE',
    contract: true,
    why: 'renaming a table breaks the release still running, which uses the old name',
    fix: 'create the new table (or a view under the old name), move the code over, then drop the old name in a later release',
  }),
  'change-column-type': rule({
    id: 'change-column-type',
    lock: 'ACCESS EXCLUSIVE',
    contract: true,
    why: 'changing a column type rewrites the table and its indexes under ACCESS EXCLUSIVE (only a few binary-compatible changes, such as widening varchar, skip the rewrite)',
    fix: 'add a column of the new type, backfill it in batches, switch reads and writes, then drop the old column later',
  }),
  'set-not-null': rule({
    id: 'set-not-null',
    lock: 'ACCESS EXCLUSIVE',
    contract: true,
    why: 'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE to check for nulls, and fails writes of the release still running that leave it empty',
    fix: 'ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; then VALIDATE CONSTRAINT c in a separate migration; then SET NOT NULL, which PostgreSQL 12+ proves from the valid check without a scan',
  }),
  'add-column-rewrite': rule({
    id: 'add-column-rewrite',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'this new column makes PostgreSQL rewrite the whole table under ACCESS EXCLUSIVE',
    fix: 'add the column without a default (or with a constant one on PostgreSQL 11+), set the default afterwards for new rows, and backfill old rows in batches',
  }),
  'add-required-column': rule({
    id: 'add-required-column',
    lock: 'ACCESS EXCLUSIVE',
    contract: true,
    why: 'a NOT NULL column without a default fails on a table with rows, and the release still running inserts rows without it',
    fix: 'add it nullable or with a constant default; make it NOT NULL later through a validated CHECK constraint',
  }),
  'create-index': rule({
    id: 'create-index',
    lock: 'SHARE',
    contract: false,
    why: 'CREATE INDEX without CONCURRENTLY blocks every INSERT, UPDATE and DELETE on the table until the index is built',
    fix: 'CREATE INDEX CONCURRENTLY, outside a transaction (in a migration of its own)',
  }),
  'drop-index': rule({
    id: 'drop-index',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table, blocking reads and writes while it waits for running queries',
    fix: 'DROP INDEX CONCURRENTLY, outside a transaction',
  }),
  'concurrently-in-transaction': rule({
    id: 'concurrently-in-transaction',
    lock: 'none',
    contract: false,
    why: 'CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it and the migration fails',
    fix: 'put the statement in a migration of its own without BEGIN/COMMIT (slipway runs such a file statement by statement)',
  }),
  'add-foreign-key': rule({
    id: 'add-foreign-key',
    lock: 'SHARE ROW EXCLUSIVE',
    contract: false,
    why: 'adding a foreign key checks every row while holding SHARE ROW EXCLUSIVE on both tables, blocking their writes',
    fix: 'ADD CONSTRAINT … FOREIGN KEY … NOT VALID; then ALTER TABLE … VALIDATE CONSTRAINT in a separate migration (SHARE UPDATE EXCLUSIVE: writes go on)',
  }),
  'add-check-constraint': rule({
    id: 'add-check-constraint',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'adding a CHECK constraint scans the whole table under ACCESS EXCLUSIVE',
    fix: 'ADD CONSTRAINT … CHECK (…) NOT VALID; then VALIDATE CONSTRAINT in a separate migration (SHARE UPDATE EXCLUSIVE)',
  }),
  'add-unique-constraint': rule({
    id: 'add-unique-constraint',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'adding a UNIQUE or PRIMARY KEY constraint builds its index under ACCESS EXCLUSIVE',
    fix: 'CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … UNIQUE USING INDEX (or PRIMARY KEY USING INDEX)',
  }),
  'add-exclusion-constraint': rule({
    id: 'add-exclusion-constraint',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'an EXCLUDE constraint builds its index under ACCESS EXCLUSIVE and cannot be added NOT VALID',
    fix: 'add it while the table is small, or in a maintenance window with a lock budget you accept',
  }),
  'backfill-in-transaction': rule({
    id: 'backfill-in-transaction',
    lock: 'ROW EXCLUSIVE',
    contract: false,
    why: 'this data change runs in the same transaction as schema changes, so their locks are held until every row is written',
    fix: 'move the backfill to a migration of its own and update in batches (e.g. 10,000 rows per statement)',
  }),
  'vacuum-full': rule({
    id: 'vacuum-full',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'VACUUM FULL rewrites the table under ACCESS EXCLUSIVE: no reads or writes until it ends',
    fix: 'plain VACUUM (no lock on reads or writes), or pg_repack to compact online',
  }),
  cluster: rule({
    id: 'cluster',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'CLUSTER rewrites the table under ACCESS EXCLUSIVE',
    fix: 'pg_repack --order-by, which reorders online',
  }),
  truncate: rule({
    id: 'truncate',
    lock: 'ACCESS EXCLUSIVE',
    contract: true,
    why: 'TRUNCATE takes ACCESS EXCLUSIVE and removes every row, which no traffic rollback brings back',
    fix: 'delete in batches if the rows must go while the app runs, after a backup; or keep the data',
  }),
  reindex: rule({
    id: 'reindex',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'REINDEX without CONCURRENTLY blocks writes to the table and reads through the index while it rebuilds',
    fix: 'REINDEX … CONCURRENTLY (PostgreSQL 12+), outside a transaction',
  }),
  'refresh-materialized-view': rule({
    id: 'refresh-materialized-view',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view until it ends',
    fix: 'REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)',
  }),
  'lock-table': rule({
    id: 'lock-table',
    lock: 'ACCESS EXCLUSIVE',
    contract: false,
    why: 'an explicit LOCK TABLE in a strong mode blocks the running release for the rest of the transaction',
    fix: 'let each statement take the lock it needs, with lock_timeout set, instead of locking by hand',
  }),
  'enum-value-in-transaction': rule({
    id: 'enum-value-in-transaction',
    lock: 'none',
    contract: false,
    why: 'before PostgreSQL 12, ALTER TYPE … ADD VALUE cannot run inside a transaction block',
    fix: 'put it in a migration of its own without a transaction, or upgrade to PostgreSQL 12+',
  }),
  'drop-database': rule({
    id: 'drop-database',
    lock: 'ACCESS EXCLUSIVE',
    contract: true,
    why: 'dropping a database or schema removes everything the running release uses',
    fix: 'never from a migration: do it by hand, after a backup, once nothing uses it',
  }),
  'require-lock-timeout': rule({
    id: 'require-lock-timeout',
    lock: 'none',
    contract: false,
    why: 'this statement waits for a strong lock with no lock_timeout: behind one long query it queues every read and write of the table',
    fix: "SET lock_timeout = '2s'; at the top of the migration (slipway's own runner sets it for you), and retry on timeout",
  }),
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;
export const RULE_IDS = Object.keys(RULES) as RuleId[];
export const isRuleId = (id: string): id is RuleId => Object.hasOwn(RULES, id);

/** Higher is stronger; `none` is below every lock. */
export const lockRank = (mode: LockMode): number => LOCKS.indexOf(mode as (typeof LOCKS)[number]);
