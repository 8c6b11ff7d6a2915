/**
 * The Store over SQL, dialect-agnostic through Kysely; `sqlite/` and `postgres/` only build the
 * Kysely instance. Timestamps are ISO-8601 UTC text, JSON is text, so both backends sort and
 * compare alike.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Kysely, sql } from 'kysely';
import type {
  ApiToken,
  EnvironmentOverview,
  Grant,
  NewApiToken,
  NewSession,
  Session,
  User,
} from '../../domain/auth.ts';
import { AppError } from '../../domain/errors.ts';
import type {
  Approval,
  AuditEntry,
  ChecklistTick,
  Deployment,
  DeploymentEvent,
  EnvironmentState,
  NewApproval,
  NewAuditEntry,
  NewChecklistTick,
  NewDeployment,
  NewRelease,
  Release,
} from '../../domain/types.ts';
import { auditHash, GENESIS_HASH } from '../audit-hash.ts';
import type {
  AuditQuery,
  DeploymentFactSet,
  DeploymentFilter,
  LockOwner,
  LockResult,
  OverviewFilter,
  Store,
} from '../contract.ts';
import { SqlApproveLinks } from './approve-link-queries.ts';
import * as auth from './auth-queries.ts';
import { DeploymentFactsCache } from './dora-queries.ts';
import { SqlFlagStore } from './flag-queries.ts';
import { toApproval, toAudit, toDeployment, toEnvironment, toEvent, toRelease, toTick } from './mappers.ts';
import { migrate, readIdentity } from './migrate.ts';
import type { Dialect } from './migrations.ts';
import { SqlNotificationQueue } from './notification-queries.ts';
import { SqlPerformanceRecords } from './perf-queries.ts';
import type { Tables } from './tables.ts';

/** An arbitrary constant: the advisory lock that orders audit appends on PostgreSQL. */
const AUDIT_LOCK = 74_201_118;

export const newId = (prefix: string): string => `${prefix}-${randomBytes(6).toString('hex')}`;

export interface SqlStoreOptions {
  readonly now?: () => Date;
  /** Tells whether a pid on this host is alive; injectable for tests. */
  readonly isAlive?: (pid: number) => boolean;
  /**
   * Runs before any migration or write, with what the store says it is (undefined: no slipway
   * tables at all). The project marker uses it to refuse a store that vanished or was replaced.
   */
  readonly preflight?: (identity: StoreIdentity | undefined) => Promise<void>;
  /** Called after each audit append commits (the anchor outside the store follows the head). */
  readonly onAudit?: (entry: AuditEntry) => void;
  /** Called after the connection closed (the marker records the file as slipway left it). */
  readonly onClose?: () => void;
}

export interface StoreIdentity {
  readonly storeId: string | undefined;
  readonly schemaVersion: number;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '23505' || /UNIQUE constraint failed/.test(e.message ?? '');
}

export class SqlStore implements Store {
  readonly dialect: Dialect;
  readonly #db: Kysely<Tables>;
  readonly #doraFacts = new DeploymentFactsCache();
  readonly #now: () => Date;
  readonly #isAlive: (pid: number) => boolean;
  readonly #host = hostname();
  readonly #onAudit: ((entry: AuditEntry) => void) | undefined;
  readonly #onClose: (() => void) | undefined;
  readonly id: string;
  readonly flags: SqlFlagStore;
  readonly notifications: SqlNotificationQueue;
  readonly performance: SqlPerformanceRecords;
  readonly approveLinks: SqlApproveLinks;

  private constructor(db: Kysely<Tables>, dialect: Dialect, id: string, options: SqlStoreOptions) {
    this.#db = db;
    this.dialect = dialect;
    this.id = id;
    this.#onAudit = options.onAudit;
    this.#onClose = options.onClose;
    this.#now = options.now ?? (() => new Date());
    this.#isAlive = options.isAlive ?? processAlive;
    this.flags = new SqlFlagStore(
      db,
      (work, entries) => this.#auditedTransaction(work, entries),
      () => this.#iso(),
    );
    this.notifications = new SqlNotificationQueue(db, () => this.#now(), dialect);
    this.performance = new SqlPerformanceRecords(db);
    this.approveLinks = new SqlApproveLinks(db, () => this.#now());
  }

  /** Open over a Kysely instance and bring the schema up to date (refusing a newer one). */
  static async open(db: Kysely<Tables>, dialect: Dialect, options: SqlStoreOptions = {}): Promise<SqlStore> {
    await options.preflight?.(await readIdentity(db));
    const { storeId } = await migrate(db, dialect);
    return new SqlStore(db, dialect, storeId, options);
  }

  #iso(): string {
    return this.#now().toISOString();
  }

  async schemaVersion(): Promise<number> {
    const row = await this.#db
      .selectFrom('slipway_meta')
      .select('value')
      .where('key', '=', 'schema_version')
      .executeTakeFirst();
    return row ? Number(row.value) : 0;
  }

  async putRelease(release: NewRelease): Promise<{ release: Release; created: boolean }> {
    const existing = await this.#db
      .selectFrom('releases')
      .selectAll()
      .where('app', '=', release.app)
      .where('version', '=', release.version)
      .executeTakeFirst();
    if (existing) return this.#sameRelease(toRelease(existing), release);
    const row = {
      id: newId('rel'),
      app: release.app,
      version: release.version,
      digest: release.digest,
      commit: release.commit,
      ci: release.ci,
      created_at: this.#iso(),
      created_by: release.createdBy,
      files: release.files,
      bytes: release.bytes,
      notes: release.notes,
      ci_report: release.report ? JSON.stringify(release.report) : null,
    };
    try {
      await this.#db.insertInto('releases').values(row).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const raced = await this.findRelease(release.app, release.version);
      if (raced) return this.#sameRelease(raced, release);
      throw error;
    }
    return { release: toRelease(row), created: true };
  }

  #sameRelease(existing: Release, wanted: NewRelease): { release: Release; created: boolean } {
    if (existing.digest !== wanted.digest) {
      throw new AppError(
        'RELEASE_CONFLICT',
        `release ${wanted.app} ${wanted.version} already exists with digest ${existing.digest}, but this content has ${wanted.digest}; releases are immutable: give the new content a new version`,
      );
    }
    return { release: existing, created: false };
  }

  async findRelease(app: string, ref: string): Promise<Release | undefined> {
    const hex = ref.replace(/^sha256:/, '');
    const byDigest = /^[0-9a-f]{8,64}$/.test(hex);
    const query = this.#db
      .selectFrom('releases')
      .selectAll()
      .where('app', '=', app)
      .where((eb) =>
        eb.or([
          eb('id', '=', ref),
          eb('version', '=', ref),
          ...(byDigest ? [eb('digest', 'like', `sha256:${hex}%`)] : []),
        ]),
      );
    const rows = await query.limit(2).execute();
    const exact =
      rows.find((r) => r.version === ref || r.id === ref) ?? (rows.length === 1 ? rows[0] : undefined);
    return exact ? toRelease(exact) : undefined;
  }

  async deleteRelease(app: string, id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('releases')
      .where('app', '=', app)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async listReleases(app: string, limit = 100): Promise<readonly Release[]> {
    const rows = await this.#db
      .selectFrom('releases')
      .selectAll()
      .where('app', '=', app)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRelease);
  }

  async listEnvironments(app: string): Promise<readonly EnvironmentState[]> {
    const rows = await this.#db
      .selectFrom('environments')
      .selectAll()
      .where('app', '=', app)
      .orderBy('name')
      .execute();
    return rows.map(toEnvironment);
  }

  async setEnvironmentRelease(
    app: string,
    env: string,
    releaseId: string | null,
    by: string,
  ): Promise<EnvironmentState> {
    return this.#db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('environments')
        .selectAll()
        .where('app', '=', app)
        .where('name', '=', env)
        .executeTakeFirst();
      const row = {
        app,
        name: env,
        release_id: releaseId,
        previous_release_id:
          current && current.release_id !== releaseId
            ? current.release_id
            : (current?.previous_release_id ?? null),
        updated_at: this.#iso(),
        updated_by: by,
      };
      if (current)
        await trx
          .updateTable('environments')
          .set(row)
          .where('app', '=', app)
          .where('name', '=', env)
          .execute();
      else await trx.insertInto('environments').values(row).execute();
      return toEnvironment(row);
    });
  }

  async createDeployment(d: NewDeployment): Promise<Deployment> {
    const now = this.#iso();
    const head = await this.#db
      .selectFrom('audit')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const row = {
      id: d.id ?? newId('dep'),
      app: d.app,
      env: d.env,
      release_id: d.releaseId,
      from_release_id: d.fromReleaseId,
      strategy: d.strategy,
      status: d.status ?? 'pending',
      reason: null,
      created_by: d.createdBy,
      created_at: now,
      updated_at: now,
      finished_at: null,
      state: JSON.stringify(d.state ?? null),
      revision: 1,
      audit_seq: head ? Number(head.seq) : null,
      audit_hash: head?.hash ?? null,
      rollback_kind: rollbackKind(d.state),
    };
    await this.#db.insertInto('deployments').values(row).execute();
    return toDeployment(row);
  }

  async getDeployment(id: string): Promise<Deployment | undefined> {
    const row = await this.#db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDeployment(row) : undefined;
  }

  async updateDeployment(
    id: string,
    revision: number,
    patch: Partial<Pick<Deployment, 'status' | 'reason' | 'state' | 'finishedAt'>>,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('deployments')
      .set({
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.reason !== undefined && { reason: patch.reason }),
        ...(patch.state !== undefined && {
          state: JSON.stringify(patch.state),
          rollback_kind: rollbackKind(patch.state),
        }),
        ...(patch.finishedAt !== undefined && { finished_at: patch.finishedAt }),
        updated_at: this.#iso(),
        revision: revision + 1,
      })
      .where('id', '=', id)
      .where('revision', '=', revision)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async listDeployments(filter: DeploymentFilter): Promise<readonly Deployment[]> {
    let query = this.#db.selectFrom('deployments').selectAll();
    if (filter.app !== undefined) query = query.where('app', '=', filter.app);
    if (filter.env !== undefined) query = query.where('env', '=', filter.env);
    if (filter.envs !== undefined)
      query = filter.envs.length ? query.where('env', 'in', filter.envs) : query.where(sql<boolean>`1 = 0`);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.createdBy !== undefined) query = query.where('created_by', '=', filter.createdBy);
    const { before, beforeId } = filter;
    if (before !== undefined && beforeId !== undefined)
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', before),
          eb.and([eb('created_at', '=', before), eb('id', '<', beforeId)]),
        ]),
      );
    else if (before !== undefined) query = query.where('created_at', '<', before);
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 50)
      .execute();
    return rows.map(toDeployment);
  }

  async listDeploymentFacts(app: string, env: string, since: string): Promise<DeploymentFactSet> {
    return await this.#doraFacts.read(this.#db, this.dialect, app, env, since);
  }

  async countDeployments(): Promise<{ app: string; env: string; status: string; count: number }[]> {
    const rows = await this.#db
      .selectFrom('deployments')
      .select(['app', 'env', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy(['app', 'env', 'status'])
      .execute();
    return rows.map((r) => ({ app: r.app, env: r.env, status: r.status, count: Number(r.n) }));
  }

  async appendEvent(event: Omit<DeploymentEvent, 'id'>): Promise<DeploymentEvent> {
    const row = {
      deployment_id: event.deploymentId,
      app: event.app,
      env: event.env,
      type: event.type,
      at: event.at,
      data: JSON.stringify(event.data ?? null),
    };
    const inserted = await this.#db
      .insertInto('events')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ...event, id: Number(inserted.id) };
  }

  async listEvents(
    deploymentId: string | undefined,
    afterId = 0,
    limit = 1000,
  ): Promise<readonly DeploymentEvent[]> {
    let query = this.#db.selectFrom('events').selectAll().where('id', '>', afterId);
    if (deploymentId !== undefined) query = query.where('deployment_id', '=', deploymentId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map(toEvent);
  }

  async addApproval(a: NewApproval): Promise<Approval> {
    const row = {
      id: newId('apr'),
      deployment_id: a.deploymentId,
      release_id: a.releaseId,
      user_name: a.user,
      decision: a.decision,
      reason: a.reason,
      at: this.#iso(),
    };
    await this.#db.insertInto('approvals').values(row).execute();
    return toApproval(row);
  }

  async listApprovals(deploymentId: string): Promise<readonly Approval[]> {
    const rows = await this.#db
      .selectFrom('approvals')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map(toApproval);
  }

  async tickChecklistItem(t: NewChecklistTick): Promise<{ tick: ChecklistTick; created: boolean }> {
    const row = {
      deployment_id: t.deploymentId,
      item: t.item,
      user_name: t.user,
      note: t.note,
      at: this.#iso(),
    };
    const inserted = await this.#db
      .insertInto('checklist_items')
      .values(row)
      .onConflict((oc) => oc.columns(['deployment_id', 'item']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { tick: toTick(row), created: true };
    const existing = await this.#db
      .selectFrom('checklist_items')
      .selectAll()
      .where('deployment_id', '=', t.deploymentId)
      .where('item', '=', t.item)
      .executeTakeFirstOrThrow();
    return { tick: toTick(existing), created: false };
  }

  async listChecklistTicks(deploymentId: string): Promise<readonly ChecklistTick[]> {
    const rows = await this.#db
      .selectFrom('checklist_items')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .orderBy('at')
      .orderBy('item')
      .execute();
    return rows.map(toTick);
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    // Appenders queue on the chain's tail: PostgreSQL through an advisory lock, SQLite through
    // BEGIN IMMEDIATE. Should two still read the same tail, the loser hits the key and tries again.
    const [appended] = await this.#auditedTransaction(async () => [], [entry]);
    return appended as AuditEntry;
  }

  /**
   * Run `work` and append `entries` to the audit chain in one transaction (so a change and its
   * audit entries land together or not at all); retried when another appender took the same seq.
   */
  async #auditedTransaction<T>(
    work: (trx: Kysely<Tables>) => Promise<T>,
    entries: readonly NewAuditEntry[] | ((result: T) => readonly NewAuditEntry[]),
  ): Promise<AuditEntry[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const appended = await this.#db.transaction().execute(async (trx) => {
          if (this.dialect === 'postgres')
            await sql`select pg_advisory_xact_lock(${AUDIT_LOCK})`.execute(trx);
          const result = await work(trx);
          const last = await trx
            .selectFrom('audit')
            .select(['seq', 'hash'])
            .orderBy('seq', 'desc')
            .limit(1)
            .executeTakeFirst();
          let seq = last ? Number(last.seq) : 0;
          let prevHash = last?.hash ?? GENESIS_HASH;
          const out: AuditEntry[] = [];
          for (const entry of typeof entries === 'function' ? entries(result) : entries) {
            const base = {
              seq: ++seq,
              at: this.#iso(),
              actor: entry.actor,
              action: entry.action,
              target: entry.target,
              data: entry.data ?? null,
              prevHash,
            };
            const full = { ...base, hash: auditHash(base) };
            await trx
              .insertInto('audit')
              .values({
                seq: full.seq,
                at: full.at,
                actor: full.actor,
                action: full.action,
                target: full.target,
                data: JSON.stringify(full.data),
                prev_hash: full.prevHash,
                hash: full.hash,
              })
              .execute();
            prevHash = full.hash;
            out.push(full);
          }
          return out;
        });
        for (const a of appended) this.#onAudit?.(a);
        return appended;
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 20) throw error;
      }
    }
  }

  async listAudit(afterSeq = 0, limit = 1000): Promise<readonly AuditEntry[]> {
    const rows = await this.#db
      .selectFrom('audit')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toAudit);
  }

  async listAuditByTarget(target: string, afterSeq = 0, limit = 1000): Promise<readonly AuditEntry[]> {
    const rows = await this.#db
      .selectFrom('audit')
      .selectAll()
      .where('target', '=', target)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toAudit);
  }

  async latestAudit(query: AuditQuery): Promise<AuditEntry | undefined> {
    // One query per action, each a backwards walk of the (action, seq) index, or a seek of the
    // (action, target, seq) one when the target is known; the newest wins.
    const found = [];
    for (const action of new Set(query.actions)) {
      let q = this.#db.selectFrom('audit').selectAll().where('action', '=', action);
      if (query.beforeSeq !== undefined) q = q.where('seq', '<', query.beforeSeq);
      if (query.target !== undefined) q = q.where('target', '=', query.target);
      if (query.env !== undefined) {
        // Target ends with `/<env>`, compared exactly (LIKE ignores case on SQLite). The lengths are
        // the database's own, in characters, as substr counts them.
        const suffix = `/${query.env}`;
        q = q.where(
          sql<string>`substr(target, length(target) - length(cast(${suffix} as text)) + 1)`,
          '=',
          suffix,
        );
      }
      const row = await q.orderBy('seq', 'desc').limit(1).executeTakeFirst();
      if (row) found.push(toAudit(row));
    }
    return found.sort((a, b) => b.seq - a.seq)[0];
  }

  async acquireLock(name: string, owner: LockOwner, ttlMs: number): Promise<LockResult> {
    const now = this.#now().getTime();
    const row = {
      name,
      owner: owner.id,
      pid: owner.pid,
      host: owner.host,
      acquired_at: now,
      expires_at: now + ttlMs,
    };
    const inserted = await this.#db
      .insertInto('locks')
      .values(row)
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { acquired: true };
    const held = await this.#db.selectFrom('locks').selectAll().where('name', '=', name).executeTakeFirst();
    if (!held) return this.acquireLock(name, owner, ttlMs);
    const holder = { id: held.owner, pid: Number(held.pid), host: held.host };
    if (holder.id === owner.id) {
      await this.renewLock(name, owner, ttlMs);
      return { acquired: true };
    }
    const expired = Number(held.expires_at) < now;
    const dead = holder.host === this.#host && !this.#isAlive(holder.pid);
    if (!expired && !dead) return { acquired: false, holder, expiresAt: Number(held.expires_at) };
    // Compare-and-swap on the stale holder: of several recoverers exactly one wins.
    const taken = await this.#db
      .updateTable('locks')
      .set(row)
      .where('name', '=', name)
      .where('owner', '=', holder.id)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 1) return { acquired: true, recoveredFrom: holder };
    return this.acquireLock(name, owner, ttlMs);
  }

  async renewLock(name: string, owner: LockOwner, ttlMs: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('locks')
      .set({ expires_at: this.#now().getTime() + ttlMs })
      .where('name', '=', name)
      .where('owner', '=', owner.id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async releaseLock(name: string, owner: LockOwner): Promise<void> {
    await this.#db.deleteFrom('locks').where('name', '=', name).where('owner', '=', owner.id).execute();
  }

  environmentOverview(filter: OverviewFilter): Promise<readonly EnvironmentOverview[]> {
    return auth.environmentOverview(this.#db, filter);
  }
  putUser(name: string, by: string): Promise<User> {
    return auth.putUser(this.#db, name, by, this.#iso());
  }
  getUser(name: string): Promise<User | undefined> {
    return auth.getUser(this.#db, name);
  }
  listUsers(): Promise<readonly User[]> {
    return auth.listUsers(this.#db);
  }
  setGrant(grant: Grant, present: boolean): Promise<void> {
    return auth.setGrant(this.#db, grant, present);
  }
  createToken(token: NewApiToken): Promise<ApiToken> {
    return auth.createToken(this.#db, token, this.#iso());
  }
  findToken(by: { hash: string } | { id: string }): Promise<ApiToken | undefined> {
    return auth.findToken(this.#db, by);
  }
  listTokens(user?: string): Promise<readonly ApiToken[]> {
    return auth.listTokens(this.#db, user);
  }
  revokeToken(id: string): Promise<boolean> {
    return auth.revokeToken(this.#db, id, this.#iso());
  }
  createSession(session: NewSession): Promise<Session> {
    return auth.createSession(this.#db, session, this.#iso());
  }
  findSession(idHash: string): Promise<Session | undefined> {
    return auth.findSession(this.#db, idHash);
  }
  deleteSession(idHash: string): Promise<void> {
    return auth.deleteSession(this.#db, idHash, this.#iso());
  }

  async close(): Promise<void> {
    await this.#db.destroy();
    this.#onClose?.();
  }

  /** For tests and benchmarks only: raw SQL access. */
  get db(): Kysely<Tables> {
    return this.#db;
  }
}

/** The rollback mark's kind in a deployment's state (a column, so DORA never parses states). */
function rollbackKind(state: unknown): string | null {
  const mark = (state as { rollback?: { kind?: unknown } } | null | undefined)?.rollback;
  return typeof mark?.kind === 'string' ? mark.kind : null;
}
