/** Admin routes: tokens, users and their roles, the audit log and its verification. */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors.ts';
import { verifyAuditLog } from '../../store/audit-verify.ts';
import { authorize } from '../auth/middleware.ts';
import { issueToken } from '../auth/tokens.ts';
import { AuditQuery, IdParam, Token, TokenBody, User, UserBody } from '../schemas.ts';
import type { Services } from '../services.ts';
import { tokenView, userView } from '../views.ts';
import { type Api, bearer, errors, json } from './common.ts';

const body = <T>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });

const listTokens = createRoute({
  method: 'get',
  path: '/api/tokens',
  summary: 'All API tokens (never their secrets)',
  security: bearer,
  responses: { 200: json(Token.array(), 'Tokens'), ...errors },
});
const createToken = createRoute({
  method: 'post',
  path: '/api/tokens',
  summary: 'Create a token; its secret is in this response only',
  security: bearer,
  request: body(TokenBody),
  responses: {
    201: json(z.object({ token: Token, secret: z.string() }), 'The token and its secret'),
    ...errors,
  },
});
const revokeToken = createRoute({
  method: 'delete',
  path: '/api/tokens/{id}',
  summary: 'Revoke a token (and end its sessions)',
  security: bearer,
  request: { params: IdParam },
  responses: { 200: json(Token, 'The revoked token'), ...errors },
});
const listUsers = createRoute({
  method: 'get',
  path: '/api/users',
  summary: 'Users and their roles per environment',
  security: bearer,
  responses: { 200: json(User.array(), 'Users'), ...errors },
});
const putUser = createRoute({
  method: 'post',
  path: '/api/users',
  summary: 'Create a user (or add roles to one)',
  security: bearer,
  request: body(UserBody),
  responses: { 200: json(User, 'The user'), ...errors },
});
const audit = createRoute({
  method: 'get',
  path: '/api/audit',
  summary: 'Audit entries after a sequence number',
  security: bearer,
  request: { query: AuditQuery },
  responses: { 200: json(z.array(z.unknown()), 'Entries, oldest first'), ...errors },
});
const verify = createRoute({
  method: 'get',
  path: '/api/audit/verify',
  summary: "Check the audit log's hash chain; names the first bad entry",
  security: bearer,
  responses: {
    200: json(
      z.object({
        entries: z.number(),
        broken: z.object({ seq: z.number(), problem: z.string() }).nullable(),
      }),
      'The verdict',
    ),
    ...errors,
  },
});

export function registerAdminRoutes(app: Api, s: Services): void {
  app.openapi(listTokens, async (c) => {
    authorize(c, 'admin');
    return c.json((await s.store.listTokens()).map(tokenView), 200);
  });
  app.openapi(createToken, async (c) => {
    const p = authorize(c, 'admin');
    const q = c.req.valid('json');
    const { token, secret } = await issueToken(s.store, {
      user: q.user,
      name: q.name,
      expiresInDays: q.expiresInDays,
      by: p.user,
      now: s.now(),
    });
    return c.json({ token: tokenView(token), secret }, 201);
  });
  app.openapi(revokeToken, async (c) => {
    const p = authorize(c, 'admin');
    const { id } = c.req.valid('param');
    if (!(await s.store.findToken({ id })))
      throw new AppError('TOKEN_NOT_FOUND', `no token ${id}; list them with \`slipway token list\``);
    if (await s.store.revokeToken(id))
      await s.store.appendAudit({ actor: p.user, action: 'token.revoke', target: id, data: null });
    return c.json(
      tokenView(
        (await s.store.findToken({ id })) as NonNullable<Awaited<ReturnType<Services['store']['findToken']>>>,
      ),
      200,
    );
  });
  app.openapi(listUsers, async (c) => {
    authorize(c, 'admin');
    return c.json((await s.store.listUsers()).map(userView), 200);
  });
  app.openapi(putUser, async (c) => {
    const p = authorize(c, 'admin');
    const q = c.req.valid('json');
    await s.store.putUser(q.name, p.user);
    for (const g of q.grants) await s.store.setGrant({ user: q.name, env: g.env, role: g.role }, true);
    await s.store.appendAudit({
      actor: p.user,
      action: 'user.put',
      target: q.name,
      data: { grants: q.grants },
    });
    return c.json(
      userView(
        (await s.store.getUser(q.name)) as NonNullable<Awaited<ReturnType<Services['store']['getUser']>>>,
      ),
      200,
    );
  });
  app.openapi(audit, async (c) => {
    authorize(c, 'admin');
    const q = c.req.valid('query');
    return c.json([...(await s.store.listAudit(q.after, q.limit))], 200);
  });
  app.openapi(verify, async (c) => {
    authorize(c, 'admin');
    return c.json(await verifyAuditLog(s.store), 200);
  });
}
