/**
 * The API's routes over a real store and real HTTP: overview, history with filters and paging,
 * one deployment, releases, actions through the engine, the OpenAPI document, validation errors
 * naming the field, and the live event stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { StoredState } from '../engine/executor.ts';
import { BACKENDS } from '../store/testing.ts';
import { seedDeployment, startTestServer, type TestServer } from './testing.ts';

type ErrorJson = { error: { code: string; message: string; details: string[] } };

for (const backend of BACKENDS) {
  describe(`API routes (${backend.name})`, async () => {
    const skip = await backend.skip();
    let t: TestServer;
    before(async () => {
      if (!skip) t = await startTestServer(backend);
    });
    after(async () => t?.close());
    const engineOf = async (id: string) =>
      ((await t.store.getDeployment(id))?.state as StoredState | undefined)?.engine;
    const get = async <T>(path: string) => {
      const r = await t.request(path, { token: t.admin });
      assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
      return (await r.json()) as T;
    };

    test('describes itself at /openapi.json, from the schemas that validate', { skip }, async () => {
      const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
        components: { schemas: Record<string, unknown> };
      };
      assert.equal(doc.openapi, '3.1.0');
      for (const path of [
        '/api/environments',
        '/api/deployments',
        '/api/deployments/{id}',
        '/api/deployments/{id}/{action}',
        '/api/deployments/{id}/events',
        '/api/session',
        '/api/tokens',
        '/api/audit/verify',
      ])
        assert.ok(doc.paths[path], `${path} documented`);
      assert.ok(doc.components.schemas.DeployRequest);
      assert.ok(doc.paths['/api/deployments']?.post);
    });

    test('shows which release runs where, since when and by whom, paged by app', { skip }, async () => {
      for (const app of ['alpha', 'beta', 'gamma']) {
        const d = await seedDeployment(t.store, { app, env: 'staging', status: 'succeeded' });
        await t.store.setEnvironmentRelease(app, 'staging', d.releaseId, 'alice');
        await t.store.setEnvironmentRelease(app, 'production', null, 'bob');
      }
      const running = await seedDeployment(t.store, { app: 'beta', env: 'production' });
      const page = await get<{
        environments: {
          app: string;
          env: string;
          by: string;
          release: { version: string } | null;
          active: unknown;
        }[];
        nextAfter: string | null;
      }>('/api/environments?limit=2');
      assert.deepEqual(
        page.environments.map((e) => `${e.app}/${e.env}`),
        ['alpha/production', 'alpha/staging', 'beta/production', 'beta/staging'],
      );
      assert.equal(page.nextAfter, 'beta');
      assert.equal(page.environments[1]?.by, 'alice');
      assert.match(page.environments[1]?.release?.version ?? '', /^1\.0\./);
      assert.deepEqual(page.environments[2]?.active, {
        id: running.id,
        status: 'running',
        releaseId: running.releaseId,
      });
      const rest = await get<{ environments: { app: string }[]; nextAfter: null }>(
        '/api/environments?after=beta',
      );
      assert.deepEqual([...new Set(rest.environments.map((e) => e.app))], ['gamma']);
    });

    test('lists history newest first with filters and pages', { skip }, async () => {
      for (let i = 0; i < 5; i++)
        await seedDeployment(t.store, {
          app: 'hist',
          env: i % 2 ? 'production' : 'staging',
          by: i < 2 ? 'zoe' : 'yan',
        });
      type H = {
        deployments: { id: string; env: string; createdBy: string; createdAt: string }[];
        nextBefore: string | null;
        nextBeforeId: string | null;
      };
      const all = await get<H>('/api/deployments?app=hist');
      assert.equal(all.deployments.length, 5);
      const sorted = [...all.deployments].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
      assert.deepEqual(
        all.deployments.map((d) => d.createdAt),
        sorted.map((d) => d.createdAt),
      );
      const prod = await get<H>('/api/deployments?app=hist&env=production');
      assert.deepEqual([...new Set(prod.deployments.map((d) => d.env))], ['production']);
      const zoe = await get<H>('/api/deployments?app=hist&by=zoe');
      assert.equal(zoe.deployments.length, 2);
      // Page through with the cursor: every deployment once, in order.
      const seen: string[] = [];
      let cursor = '';
      for (let page = 0; page < 5; page++) {
        const p = await get<H>(`/api/deployments?app=hist&limit=2${cursor}`);
        seen.push(...p.deployments.map((d) => d.id));
        if (!p.nextBefore || !p.nextBeforeId) break;
        cursor = `&before=${encodeURIComponent(p.nextBefore)}&beforeId=${p.nextBeforeId}`;
      }
      assert.deepEqual(
        seen,
        all.deployments.map((d) => d.id),
      );
      const failed = await get<H>('/api/deployments?app=hist&status=failed');
      assert.equal(failed.deployments.length, 0);
    });

    test('shows one deployment with its plan, time line and approvals; 404 names the id', {
      skip,
    }, async () => {
      const d = await seedDeployment(t.store, { env: 'staging' });
      const detail = await get<{
        deployment: { id: string };
        release: { version: string };
        progress: { plan: { kind: string; description: string }[]; weight: number };
        timeline: { what: string }[];
      }>(`/api/deployments/${d.id}`);
      assert.equal(detail.deployment.id, d.id);
      assert.equal(detail.progress.plan[2]?.description, 'shift 50% of traffic');
      assert.equal(detail.timeline[0]?.what, 'deployment created');
      const missing = await t.request('/api/deployments/dep-nope', { token: t.admin });
      assert.equal(missing.status, 404);
      assert.match(((await missing.json()) as ErrorJson).error.message, /dep-nope/);
    });

    test('pauses, resumes and aborts through the engine, audited; refuses a finished one', {
      skip,
    }, async () => {
      const d = await seedDeployment(t.store, { env: 'staging' });
      const post = (action: string, body = '{}') =>
        t.request(`/api/deployments/${d.id}/${action}`, { method: 'POST', token: t.admin, body });
      assert.equal((await post('pause')).status, 200);
      assert.equal((await engineOf(d.id))?.status, 'paused');
      const resumed = await post('resume');
      assert.equal(((await resumed.json()) as { status: string }).status, 'running');
      // Approvals go through the gates' decide(), which needs the environment's approval policy
      // from slipway.yaml; this server has none, so it refuses and records nothing.
      const approve = await post('approve', JSON.stringify({ reason: 'looks good' }));
      assert.equal(((await approve.json()) as ErrorJson).error.code, 'USAGE');
      assert.deepEqual(await t.store.listApprovals(d.id), []);
      await post('abort', JSON.stringify({ reason: 'wrong build' }));
      const engine = await engineOf(d.id);
      assert.equal(engine?.endAs, 'aborted');
      const actions = (await t.store.listAudit(0, 10_000))
        .filter((e) => e.target === d.id)
        .map((e) => e.action);
      assert.deepEqual(actions, ['deployment.pause', 'deployment.resume', 'deployment.abort']);
      const events = await t.store.listEvents(d.id);
      assert.ok(events.some((e) => (e.data as { what: string }).what.startsWith('paused by root')));
      const done = await seedDeployment(t.store, { env: 'staging', status: 'succeeded' });
      const refused = await t.request(`/api/deployments/${done.id}/pause`, {
        method: 'POST',
        token: t.admin,
        body: '{}',
      });
      assert.equal(refused.status, 409);
      assert.equal(((await refused.json()) as ErrorJson).error.code, 'DEPLOYMENT_FINISHED');
    });

    test('names the field of a bad request, never a 5xx', { skip }, async () => {
      const d = await seedDeployment(t.store, { env: 'staging' });
      const cases: [string, RequestInit, number, RegExp][] = [
        ['/api/deployments', { method: 'POST', body: '{"env": 5, "release": "1"}' }, 400, /body\.env/],
        [
          '/api/deployments',
          { method: 'POST', body: '{"env":"staging","release":"1","force":true}' },
          400,
          /unknown field.*"force"/,
        ],
        ['/api/deployments', { method: 'POST', body: '{"env":' }, 400, /Malformed JSON/],
        [
          '/api/deployments',
          { method: 'POST', body: 'env=x', headers: { 'content-type': 'text/plain' } },
          400,
          /application\/json/,
        ],
        [
          '/api/deployments',
          { method: 'POST', body: JSON.stringify({ env: 'x'.repeat(70_000), release: '1' }) },
          413,
          /over 65536 bytes/,
        ],
        [`/api/deployments/${d.id}/explode`, { method: 'POST', body: '{}' }, 400, /param\.action/],
        ['/api/deployments?limit=abc', {}, 400, /query\.limit/],
        ['/api/deployments?status=great', {}, 400, /query\.status/],
        ['/api/deployments?colour=red', {}, 400, /"colour"/],
        ['/api/nowhere', {}, 404, /no route GET \/api\/nowhere/],
      ];
      for (const [path, init, status, message] of cases) {
        const r = await t.request(path, { ...init, token: t.admin });
        const body = (await r.json()) as ErrorJson;
        assert.equal(r.status, status, `${path}: ${JSON.stringify(body)}`);
        assert.match(body.error.message, message, path);
      }
      const deploy = await t.request('/api/deployments', {
        method: 'POST',
        token: t.admin,
        body: '{"env":"staging","release":"1"}',
      });
      assert.equal(deploy.status, 400, 'a server without slipway.yaml cannot deploy');
    });

    test('escapes markup in what users wrote: release notes come back as JSON, never as HTML', {
      skip,
    }, async () => {
      const notes = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';
      await t.store.putRelease({
        app: 'xss',
        version: '1.0.0',
        digest: `sha256:${'a'.repeat(64)}`,
        commit: null,
        ci: 'passed',
        createdBy: '<b>ci</b>',
        files: 1,
        bytes: 1,
        notes,
      });
      const r = await t.request('/api/releases?app=xss', { token: t.admin });
      const text = await r.text();
      assert.doesNotMatch(text, /[<>]/);
      assert.match(text, /\\u003cscript\\u003e/);
      assert.equal((JSON.parse(text) as { notes: string }[])[0]?.notes, notes);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    });

    test('streams a deployment live: time line, state and end', { skip }, async () => {
      const d = await seedDeployment(t.store, { env: 'staging' });
      const controller = new AbortController();
      const r = await t.request(`/api/deployments/${d.id}/events`, {
        token: t.admin,
        signal: controller.signal,
      });
      assert.equal(r.headers.get('content-type'), 'text/event-stream');
      const reader = (r.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const until = async (pattern: RegExp) => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
        return pattern.test(text);
      };
      assert.ok(await until(/event: state/));
      await t.request(`/api/deployments/${d.id}/pause`, { method: 'POST', token: t.admin, body: '{}' });
      assert.ok(await until(/event: timeline\ndata: .*paused by root/));
      assert.match(text, /id: \d+/);
      await t.store.updateDeployment(d.id, (await t.store.getDeployment(d.id))?.revision as number, {
        status: 'aborted',
        finishedAt: new Date().toISOString(),
      });
      assert.ok(await until(/event: end\ndata: \{"status":"aborted"/));
      controller.abort();
    });
  });
}
