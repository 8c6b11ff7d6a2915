/**
 * Every request is authorized: no token, an unknown, revoked or expired token → 401; a role too low
 * or on another environment → 403; all of them audited. Dashboard sessions: HttpOnly SameSite
 * cookie, CSRF token on every state change, same-origin only, ended with their token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS } from '../store/testing.ts';
import { hashSecret } from './auth/tokens.ts';
import { seedDeployment, startTestServer, type TestServer } from './testing.ts';

for (const backend of BACKENDS) {
  describe(`API authorization (${backend.name})`, async () => {
    const skip = await backend.skip();
    let t: TestServer;
    before(async () => {
      if (!skip) t = await startTestServer(backend);
    });
    after(async () => t?.close());

    const denials = async () =>
      (await t.store.listAudit(0, 10_000)).filter((e) => e.action === 'auth.denied');

    test('refuses a request without a token, with 401 and an audit entry', { skip }, async () => {
      const before = (await denials()).length;
      const r = await t.request('/api/deployments');
      assert.equal(r.status, 401);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'UNAUTHORIZED');
      assert.match(body.error.message, /Bearer/);
      const audited = (await denials()).slice(before);
      assert.equal(audited.length, 1);
      assert.equal(audited[0]?.actor, 'anonymous');
      assert.equal(audited[0]?.target, 'GET /api/deployments');
    });

    test('refuses unknown, malformed, revoked and expired tokens with 401', { skip }, async () => {
      const rowsBefore = (await denials()).length;
      assert.equal((await t.request('/api/deployments', { token: 'slw_nope' })).status, 401);
      assert.equal(
        (await t.request('/api/deployments', { headers: { authorization: 'Basic abc' } })).status,
        401,
      );
      const secret = await t.user('carol', [{ env: '*', role: 'viewer' }]);
      assert.equal((await t.request('/api/deployments', { token: secret })).status, 200);
      const token = await t.store.findToken({ hash: hashSecret(secret) });
      await t.store.revokeToken(token?.id as string);
      const revoked = await t.request('/api/deployments', { token: secret });
      assert.equal(revoked.status, 401);
      assert.match(((await revoked.json()) as { error: { message: string } }).error.message, /revoked/);
      await t.store.putUser('dave', 'test');
      await t.store.setGrant({ user: 'dave', env: '*', role: 'viewer' }, true);
      const stale = 'slw_expired-token-for-the-test-only-000000000';
      await t.store.createToken({
        id: 'tok-expired',
        user: 'dave',
        name: 'old',
        hash: hashSecret(stale),
        expiresAt: '2020-01-01T00:00:00.000Z',
      });
      const expired = await t.request('/api/deployments', { token: stale });
      assert.equal(expired.status, 401);
      assert.match(((await expired.json()) as { error: { message: string } }).error.message, /expired/);
      // A stranger's refusals within a minute share one row (denial-log.ts); the rest are counted.
      assert.ok((await denials()).length - rowsBefore <= 1, 'strangers cannot grow the audit log');
    });

    test('applies roles per environment and audits each 403', { skip }, async () => {
      const staging = await seedDeployment(t.store, { env: 'staging' });
      const production = await seedDeployment(t.store, { env: 'production' });
      const eve = await t.user('eve', [
        { env: 'staging', role: 'deployer' },
        { env: 'production', role: 'viewer' },
      ]);
      const post = (id: string, action: string, token: string) =>
        t.request(`/api/deployments/${id}/${action}`, { method: 'POST', token, body: '{}' });
      assert.equal((await post(staging.id, 'pause', eve)).status, 200);
      const before = (await denials()).length;
      const refused = await post(production.id, 'pause', eve);
      assert.equal(refused.status, 403);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'FORBIDDEN');
      assert.match(body.error.message, /eve .*may not pause on production/);
      assert.equal((await post(staging.id, 'approve', eve)).status, 403, 'a deployer is not an approver');
      assert.equal((await t.request(`/api/deployments/${production.id}`, { token: eve })).status, 200);
      assert.equal((await t.request('/api/tokens', { token: eve })).status, 403, 'admin only');
      const audited = (await denials()).slice(before);
      assert.deepEqual(
        audited.map((e) => [e.actor, e.target]),
        [
          ['eve', `POST /api/deployments/${production.id}/pause`],
          ['eve', `POST /api/deployments/${staging.id}/approve`],
          ['eve', 'GET /api/tokens'],
        ],
      );
      const history = (await (await t.request('/api/deployments', { token: eve })).json()) as {
        deployments: { env: string }[];
      };
      assert.ok(history.deployments.length >= 2);
      const scoped = await t.user('frank', [{ env: 'staging', role: 'viewer' }]);
      const seen = (await (await t.request('/api/deployments', { token: scoped })).json()) as {
        deployments: { env: string }[];
      };
      assert.deepEqual(
        [...new Set(seen.deployments.map((d) => d.env))],
        ['staging'],
        'only what frank may read',
      );
    });

    test('signs in to an HttpOnly SameSite session and needs the CSRF token to change state', {
      skip,
    }, async () => {
      const d = await seedDeployment(t.store, { env: 'staging' });
      const gina = await t.user('gina', [{ env: 'staging', role: 'deployer' }]);
      const signIn = await t.request('/api/session', {
        method: 'POST',
        body: JSON.stringify({ token: gina }),
      });
      assert.equal(signIn.status, 200);
      const cookie = signIn.headers.get('set-cookie') ?? '';
      assert.match(cookie, /^slipway_session=[\w-]+;/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      const me = (await signIn.json()) as { user: string; csrfToken: string };
      assert.equal(me.user, 'gina');
      const session = cookie.split(';')[0] as string;
      const get = await t.request('/api/session', { headers: { cookie: session } });
      assert.equal(((await get.json()) as { csrfToken: string }).csrfToken, me.csrfToken);
      const pause = (headers: Record<string, string>) =>
        t.request(`/api/deployments/${d.id}/pause`, {
          method: 'POST',
          body: '{}',
          headers: { cookie: session, ...headers },
        });
      const without = await pause({});
      assert.equal(without.status, 403);
      assert.equal(((await without.json()) as { error: { code: string } }).error.code, 'CSRF_INVALID');
      assert.equal((await pause({ 'x-csrf-token': 'wrong' })).status, 403);
      assert.equal(
        (await pause({ 'x-csrf-token': me.csrfToken, origin: 'https://evil.example' })).status,
        403,
        'another origin',
      );
      assert.equal((await pause({ 'x-csrf-token': me.csrfToken })).status, 200);
      // Revoking the token ends the session opened with it.
      const token = await t.store.findToken({ hash: hashSecret(gina) });
      await t.store.revokeToken(token?.id as string);
      assert.equal((await t.request('/api/session', { headers: { cookie: session } })).status, 401);
    });

    test('signs out: the cookie no longer works', { skip }, async () => {
      const hal = await t.user('hal', [{ env: '*', role: 'viewer' }]);
      const signIn = await t.request('/api/session', {
        method: 'POST',
        body: JSON.stringify({ token: hal }),
      });
      const session = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const { csrfToken } = (await signIn.json()) as { csrfToken: string };
      const out = await t.request('/api/session', {
        method: 'DELETE',
        headers: { cookie: session, 'x-csrf-token': csrfToken },
      });
      assert.equal(out.status, 200);
      assert.equal((await t.request('/api/deployments', { headers: { cookie: session } })).status, 401);
      const bad = await t.request('/api/session', {
        method: 'POST',
        body: JSON.stringify({ token: 'slw_x' }),
      });
      assert.equal(bad.status, 401);
    });
  });
}
