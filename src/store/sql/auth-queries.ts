/**
 * Queries for users, grants, API tokens, sessions and the environments overview, kept apart from
 * sql-store.ts so each file reads as one concern. SqlStore delegates here.
 */
import type { Kysely } from 'kysely';
import type {
  ApiToken,
  EnvironmentOverview,
  Grant,
  NewApiToken,
  NewSession,
  Role,
  Session,
  User,
} from '../../domain/auth.ts';
import type { OverviewFilter } from '../contract.ts';
import type { Tables } from './tables.ts';

type Db = Kysely<Tables>;

const toToken = (r: Tables['api_tokens']): ApiToken => ({
  id: r.id,
  user: r.user_name,
  name: r.name,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

const toGrant = (r: Tables['grants']): Grant => ({ user: r.user_name, env: r.env, role: r.role as Role });

export async function putUser(db: Db, name: string, by: string, at: string): Promise<User> {
  await db
    .insertInto('users')
    .values({ name, created_at: at, created_by: by })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return (await getUser(db, name)) as User;
}

export async function getUser(db: Db, name: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) return undefined;
  const grants = await db
    .selectFrom('grants')
    .selectAll()
    .where('user_name', '=', name)
    .orderBy('env')
    .orderBy('role')
    .execute();
  return {
    name: row.name,
    createdAt: row.created_at,
    createdBy: row.created_by,
    grants: grants.map(toGrant),
  };
}

export async function listUsers(db: Db): Promise<readonly User[]> {
  const users = await db.selectFrom('users').selectAll().orderBy('name').execute();
  const grants = await db.selectFrom('grants').selectAll().orderBy('env').orderBy('role').execute();
  return users.map((u) => ({
    name: u.name,
    createdAt: u.created_at,
    createdBy: u.created_by,
    grants: grants.filter((g) => g.user_name === u.name).map(toGrant),
  }));
}

export async function setGrant(db: Db, grant: Grant, present: boolean): Promise<void> {
  if (present)
    await db
      .insertInto('grants')
      .values({ user_name: grant.user, env: grant.env, role: grant.role })
      .onConflict((oc) => oc.columns(['user_name', 'env', 'role']).doNothing())
      .execute();
  else
    await db
      .deleteFrom('grants')
      .where('user_name', '=', grant.user)
      .where('env', '=', grant.env)
      .where('role', '=', grant.role)
      .execute();
}

export async function createToken(db: Db, t: NewApiToken, at: string): Promise<ApiToken> {
  const row = {
    id: t.id,
    user_name: t.user,
    name: t.name,
    hash: t.hash,
    created_at: at,
    expires_at: t.expiresAt,
    revoked_at: null,
  };
  await db.insertInto('api_tokens').values(row).execute();
  return toToken(row);
}

export async function findToken(
  db: Db,
  by: { hash: string } | { id: string },
): Promise<ApiToken | undefined> {
  const query = db.selectFrom('api_tokens').selectAll();
  const row = await ('hash' in by
    ? query.where('hash', '=', by.hash)
    : query.where('id', '=', by.id)
  ).executeTakeFirst();
  return row ? toToken(row) : undefined;
}

export async function listTokens(db: Db, user?: string): Promise<readonly ApiToken[]> {
  let query = db.selectFrom('api_tokens').selectAll();
  if (user !== undefined) query = query.where('user_name', '=', user);
  return (await query.orderBy('created_at').orderBy('id').execute()).map(toToken);
}

export async function revokeToken(db: Db, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  // Sessions opened with the token end with it.
  await db.deleteFrom('sessions').where('token_id', '=', id).execute();
  return Number(result.numUpdatedRows) === 1;
}

export async function createSession(db: Db, s: NewSession, at: string): Promise<Session> {
  const row = {
    id_hash: s.idHash,
    user_name: s.user,
    token_id: s.tokenId,
    csrf: s.csrf,
    created_at: at,
    expires_at: s.expiresAt,
  };
  await db.insertInto('sessions').values(row).execute();
  return { ...s, createdAt: at };
}

export async function findSession(db: Db, idHash: string): Promise<Session | undefined> {
  const r = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  return r
    ? {
        idHash: r.id_hash,
        user: r.user_name,
        tokenId: r.token_id,
        csrf: r.csrf,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      }
    : undefined;
}

export async function deleteSession(db: Db, idHash: string, expiredBefore: string): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('id_hash', '=', idHash), eb('expires_at', '<', expiredBefore)]))
    .execute();
}

export async function environmentOverview(
  db: Db,
  filter: OverviewFilter,
): Promise<readonly EnvironmentOverview[]> {
  // Page by app, so a page never splits an app's environments.
  let apps = db.selectFrom('environments').select('app').distinct();
  if (filter.app !== undefined) apps = apps.where('app', '=', filter.app);
  if (filter.afterApp !== undefined) apps = apps.where('app', '>', filter.afterApp);
  const page = apps.orderBy('app').limit(filter.limitApps ?? 100);
  const rows = await db
    .selectFrom('environments as e')
    .leftJoin('releases as r', 'r.id', 'e.release_id')
    .select([
      'e.app',
      'e.name',
      'e.release_id',
      'e.previous_release_id',
      'e.updated_at',
      'e.updated_by',
      'r.version',
      'r.digest',
    ])
    .where('e.app', 'in', page)
    .orderBy('e.app')
    .orderBy('e.name')
    .execute();
  return rows.map((r) => ({
    app: r.app,
    env: r.name,
    release:
      r.release_id && r.version && r.digest
        ? { id: r.release_id, version: r.version, digest: r.digest }
        : null,
    previousReleaseId: r.previous_release_id,
    since: r.updated_at,
    by: r.updated_by,
  }));
}
