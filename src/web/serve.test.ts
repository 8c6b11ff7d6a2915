import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { repoRoot } from '../testing.ts';
import { ensureDashboard } from './build.ts';
import { DASHBOARD_CSP, dashboardHandler } from './serve.ts';

test('the dashboard builds, and its files are served with a strict CSP and the right caching', async () => {
  const dir = await ensureDashboard();
  assert.ok(dir, 'vite is a dev dependency: npm install');
  const app = new Hono();
  app.get('*', dashboardHandler(dir));
  app.notFound((c) => c.json({ error: 'none' }, 404));

  const page = await app.request('/#/history');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-security-policy'), DASHBOARD_CSP);
  assert.match(DASHBOARD_CSP, /script-src 'self';/);
  assert.doesNotMatch(DASHBOARD_CSP, /unsafe/);
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  const html = await page.text();
  assert.doesNotMatch(html, /<script>(?!<)/, 'no inline script');

  const js = readdirSync(join(dir, 'assets')).find((f) => f.endsWith('.js')) as string;
  const asset = await app.request(`/assets/${js}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(asset.headers.get('content-encoding'), 'gzip');
  assert.match(asset.headers.get('content-type') ?? '', /javascript/);
  assert.ok(gunzipSync(Buffer.from(await asset.arrayBuffer())).length > 0);

  assert.equal((await app.request('/assets/..%2F..%2Fpackage.json')).status, 404);
  assert.equal((await app.request('/assets/missing.js')).status, 404);
  assert.equal((await app.request('/api/nothing')).status, 404, '/api stays the API');
});

test('no dashboard build: a plain 503 that says how to get one', async () => {
  const app = new Hono();
  app.get('*', dashboardHandler(null));
  const res = await app.request('/');
  assert.equal(res.status, 503);
  assert.match(await res.text(), /npm install/);
});

test('the browser code typechecks (its own tsconfig: DOM types, bundler resolution)', () => {
  const tsc = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'src/web/app/tsconfig.json')],
    { encoding: 'utf8' },
  );
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
