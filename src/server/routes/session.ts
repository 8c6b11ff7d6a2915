/**
 * Dashboard sign-in: a token is exchanged for an HttpOnly, SameSite=Strict session cookie and a
 * CSRF token the page sends back in X-CSRF-Token on every state change.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { deleteCookie, setCookie } from 'hono/cookie';
import { AppError } from '../../domain/errors.ts';
import { SESSION_COOKIE } from '../auth/middleware.ts';
import { checkToken, hashSecret, newSecret } from '../auth/tokens.ts';
import { Me, SessionBody } from '../schemas.ts';
import type { Services } from '../services.ts';
import { type Api, bearer, errors, json } from './common.ts';

const open = createRoute({
  method: 'post',
  path: '/api/session',
  summary: 'Sign in with a token; sets the session cookie',
  request: { body: { content: { 'application/json': { schema: SessionBody } }, required: true } },
  responses: { 200: json(Me, 'Signed in; the CSRF token is in the body'), ...errors },
});

const me = createRoute({
  method: 'get',
  path: '/api/session',
  summary: 'Who is signed in, with which roles (and the CSRF token of a session)',
  security: bearer,
  responses: { 200: json(Me, 'The principal'), ...errors },
});

const close = createRoute({
  method: 'delete',
  path: '/api/session',
  summary: 'Sign out',
  security: bearer,
  responses: { 200: json(z.object({ ok: z.boolean() }), 'Signed out'), ...errors },
});

export function registerSessionRoutes(app: Api, s: Services): void {
  app.openapi(open, async (c) => {
    const now = s.now();
    const token = await checkToken(s.store, c.req.valid('json').token, now);
    const user = await s.store.getUser(token.user);
    if (!user) throw new AppError('UNAUTHORIZED', `user "${token.user}" no longer exists`);
    const id = newSecret();
    const csrf = newSecret(24);
    const ends = Math.min(
      now.getTime() + s.sessionMs,
      token.expiresAt ? Date.parse(token.expiresAt) : Number.POSITIVE_INFINITY,
    );
    const expiresAt = new Date(ends).toISOString();
    await s.store.createSession({
      idHash: hashSecret(id),
      user: user.name,
      tokenId: token.id,
      csrf,
      expiresAt,
    });
    setCookie(c, SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: s.secureCookies,
      path: '/',
      maxAge: Math.max(1, Math.floor((ends - now.getTime()) / 1000)),
    });
    await s.store.appendAudit({ actor: user.name, action: 'session.open', target: token.id, data: null });
    return c.json(
      { user: user.name, grants: [...user.grants], via: 'session' as const, csrfToken: csrf, expiresAt },
      200,
    );
  });

  app.openapi(me, async (c) => {
    const p = c.get('principal');
    if (!p) throw new AppError('UNAUTHORIZED', 'no credentials');
    return c.json(
      {
        user: p.user,
        grants: [...p.grants],
        via: p.via,
        csrfToken: p.session?.csrf ?? null,
        expiresAt: p.session?.expiresAt ?? null,
      },
      200,
    );
  });

  app.openapi(close, async (c) => {
    const p = c.get('principal');
    if (p?.session) await s.store.deleteSession(p.session.idHash);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true }, 200);
  });
}
