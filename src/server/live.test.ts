/**
 * /api/live: the change stream the dashboard's overview and history follow instead of polling.
 * It says "changed" when anything the user may read changes (a deployment moving, a decision),
 * and nothing about environments the user may not read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS } from '../store/testing.ts';
import { seedDeployment, startTestServer, type TestServer } from './testing.ts';

/** An open stream: the text so far, and a wait for a pattern (false when it did not come in time). */
async function open(t: TestServer, token: string) {
  const controller = new AbortController();
  const r = await t.request('/api/live', { token, signal: controller.signal });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/event-stream');
  const reader = (r.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  let pending: ReturnType<typeof reader.read> | null = null;
  return {
    get text() {
      return text;
    },
    async until(pattern: RegExp, ms = 5000): Promise<boolean> {
      const end = Date.now() + ms;
      while (!pattern.test(text)) {
        const left = end - Date.now();
        if (left <= 0) return false;
        pending ??= reader.read();
        const timer = new Promise<null>((r) => setTimeout(() => r(null), left));
        const next = await Promise.race([pending, timer]);
        if (next === null) return false;
        pending = null;
        if (next.done) return pattern.test(text);
        text += next.value;
      }
      return true;
    },
    close: () => controller.abort(),
  };
}

const changes = (text: string) => text.match(/event: change/g)?.length ?? 0;

for (const backend of BACKENDS) {
  describe(`the live change stream (${backend.name})`, async () => {
    const skip = await backend.skip();
    let t: TestServer;
    before(async () => {
      if (!skip) t = await startTestServer(backend);
    });
    after(async () => t?.close());

    test('says "changed" to those who may read it, and only to them', { skip }, async () => {
      const viewer = await t.user('vic', [{ env: 'staging', role: 'viewer' }]);
      const all = await open(t, t.admin);
      const staging = await open(t, viewer);
      try {
        assert.ok(await all.until(/event: ready/), all.text);
        assert.ok(await staging.until(/event: ready/), staging.text);
        // Production moves: the admin hears of it, the staging viewer does not.
        await seedDeployment(t.store, { env: 'production' });
        assert.ok(await all.until(/event: change/), all.text);
        assert.equal(await staging.until(/event: change/, 2000), false, staging.text);
        // A staging deployment is paused (a person's action): both hear of it.
        const d = await seedDeployment(t.store, { env: 'staging' });
        const before = changes(all.text);
        await t.request(`/api/deployments/${d.id}/pause`, { method: 'POST', token: t.admin, body: '{}' });
        assert.ok(await staging.until(/event: change/), staging.text);
        assert.ok(await all.until(new RegExp(`(event: change[\\s\\S]*){${before + 1}}`)), all.text);
        // The stream carries no data of its own: the page asks the ordinary routes.
        assert.doesNotMatch(all.text + staging.text, /production|staging|dep-/);
      } finally {
        all.close();
        staging.close();
      }
    });

    test('refuses a caller without a token', { skip }, async () => {
      const r = await t.request('/api/live');
      assert.equal(r.status, 401);
    });
  });
}
