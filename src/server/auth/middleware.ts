/**
 * Who is asking, and may they. Order (see app.ts): withAuth finds the principal from a bearer
 * token or the session cookie, then withCsrf guards state changes made through a cookie. Each route
 * then calls `authorize` with the environment it touches. Denials are thrown as AppErrors; the
 * app's error handler answers 401/403 and writes them to the audit log.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Grant, Session } from '../../domain/auth.ts';
import { AppError } from '../../domain/errors.ts';
import type { Store } from '../../store/contract.ts';
import { can, type Permission } from './roles.ts';
import type { SignInGuard } from './sign-in-guard.ts';
import { checkToken, hashSecret, sameSecret } from './tokens.ts';

export const SESSION_COOKIE = 'slipway_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface Principal {
  readonly user: string;
  readonly grants: readonly Grant[];
  readonly via: 'token' | 'session';
  readonly tokenId: string;
  readonly session: Session | null;
}

export interface AuthEnv {
  Variables: { principal: Principal | undefined };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Requests that need no principal: the API description, the health check, the dashboard's files, signing in. */
export function isPublic(method: string, path: string): boolean {
  return (
    (method === 'GET' && (path === '/openapi.json' || path === '/api/health')) ||
    // The dashboard's files: the page itself signs in through POST /api/session.
    // …but not /metrics, which wants a reader's token (src/server/prometheus.ts).
    ((method === 'GET' || method === 'HEAD') &&
      !path.startsWith('/api/') &&
      path !== '/api' &&
      path !== '/metrics') ||
    (method === 'POST' && path === '/api/session')
  );
}

/** The peer address of the request (the proxy's, behind one), or `unknown` outside a socket. */
export function clientOf(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

export function withAuth(store: Store, now: () => Date, guard?: SignInGuard): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const signIn = c.req.method === 'POST' && c.req.path === '/api/session';
    if (isPublic(c.req.method, c.req.path) && !signIn) return next();
    // A client past its failed sign-ins waits, before its credential is even looked at.
    guard?.check(clientOf(c));
    if (signIn) return next();
    c.set('principal', await principalOf(c, store, now()));
    guard?.succeed(clientOf(c));
    return next();
  };
}

/**
 * State changes only from this site: a browser names the page's origin (`Origin`, `null` for a
 * sandboxed or file page, a redirect or a data: URL) and the relation (`Sec-Fetch-Site`); any
 * other than this host, or `same-origin`/`none`, is refused — also with a bearer token, so no page
 * elsewhere can borrow one. Clients that send neither (the CLI, curl) are not browsers and pass.
 */
export function withOrigin(): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (SAFE.has(c.req.method)) return next();
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      let host: string | undefined;
      try {
        host = origin === 'null' ? undefined : new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host === undefined || host !== c.req.header('host'))
        throw new AppError('CSRF_INVALID', `a request from origin ${origin} may not change state here`);
    }
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw new AppError(
        'CSRF_INVALID',
        `a ${site} request (Sec-Fetch-Site) may not change state here; use the dashboard served by this server`,
      );
    return next();
  };
}

async function principalOf(c: Context, store: Store, now: Date): Promise<Principal> {
  const header = c.req.header('authorization');
  let session: Session | null = null;
  let tokenId: string;
  let user: string;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError('UNAUTHORIZED', 'the Authorization header must be "Bearer <token>"');
    const token = await checkToken(store, match[1] as string, now);
    tokenId = token.id;
    user = token.user;
  } else {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (!cookie)
      throw new AppError('UNAUTHORIZED', 'no credentials: send "Authorization: Bearer <token>" or sign in');
    session = (await store.findSession(hashSecret(cookie))) ?? null;
    if (!session || Date.parse(session.expiresAt) <= now.getTime())
      throw new AppError('UNAUTHORIZED', 'the session ended; sign in again');
    const token = await store.findToken({ id: session.tokenId });
    if (!token || token.revokedAt || (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()))
      throw new AppError(
        'UNAUTHORIZED',
        'the token this session was opened with is no longer valid; sign in again',
      );
    tokenId = token.id;
    user = session.user;
  }
  const found = await store.getUser(user);
  if (!found) throw new AppError('UNAUTHORIZED', `user "${user}" no longer exists`);
  return { user, grants: found.grants, via: session ? 'session' : 'token', tokenId, session };
}

/** State changes through a cookie must carry the session's CSRF token (withOrigin checks where from). */
export function withCsrf(): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (SAFE.has(c.req.method) || principal?.via !== 'session' || !principal.session) return next();
    const sent = c.req.header(CSRF_HEADER) ?? '';
    if (!sameSecret(sent, principal.session.csrf))
      throw new AppError(
        'CSRF_INVALID',
        `a state change through the dashboard session needs the session's ${CSRF_HEADER} header`,
      );
    return next();
  };
}

/**
 * Throws FORBIDDEN unless the principal may `permission` on `env` (every environment when env is
 * undefined) — or, with `onSome`, on at least one environment (lists filter by environment later).
 */
export function authorize(
  c: Context<AuthEnv>,
  permission: Permission,
  env?: string,
  onSome = false,
): Principal {
  const principal = c.get('principal');
  if (!principal) throw new AppError('UNAUTHORIZED', 'no credentials');
  const allowed =
    env === undefined && onSome
      ? principal.grants.some((g) => can([g], permission, g.env))
      : can(principal.grants, permission, env);
  if (!allowed) {
    const roles = principal.grants.map((g) => `${g.role} on ${g.env}`).join(', ') || 'none';
    throw new AppError(
      'FORBIDDEN',
      `user ${principal.user} (roles: ${roles}) may not ${permission}${env ? ` on ${env}` : ''}; an admin can grant it with \`slipway user grant ${principal.user} --env ${env ?? '*'} --role ${permission === 'approve' || permission === 'reject' ? 'approver' : permission === 'read' ? 'viewer' : permission === 'admin' ? 'admin' : 'deployer'}\``,
    );
  }
  return principal;
}
