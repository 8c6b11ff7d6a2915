import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReleaseRoute } from '../contract.ts';
import { renderNginx, renderRoutes } from './config.ts';

const state = {
  env: 'prod',
  listen: { host: '127.0.0.1', port: 8080 },
  releases: [
    { release: 'v1', weight: 70, backends: [{ id: 'a', host: '10.0.0.1', port: 3000 }] },
    {
      release: 'v2',
      weight: 30,
      backends: [
        { id: 'b', host: '10.0.0.2', port: 3000 },
        { id: 'c', host: '10.0.0.3', port: 3000 },
      ],
    },
    { release: 'v3', weight: 0, backends: [{ id: 'd', host: '10.0.0.4', port: 3000 }] },
  ],
  stickiness: { kind: 'cookie', name: 'uid' },
  previewHeader: 'X-Preview',
} as const;

const render = (down?: ReadonlySet<string>, releases: readonly ReleaseRoute[] = state.releases) =>
  renderNginx({
    dir: '/p',
    workers: 1,
    state: { ...state, releases },
    down,
    jsModule: '/m/ngx_http_js_module.so',
    script: '/p/route.js',
    routes: '/p/routes-3.json',
  });

test('nginx config: one upstream per release, preview map, and njs picks the rest from the routes file', () => {
  const conf = render();
  assert.match(conf, /^load_module \/m\/ngx_http_js_module\.so;\n/);
  assert.match(
    conf,
    /upstream slipway_r1 \{\n {4}server 10\.0\.0\.2:3000 [^\n]*\n {4}server 10\.0\.0\.3:3000 /,
  );
  assert.match(
    conf,
    /upstream slipway_r2 \{\n {4}server 10\.0\.0\.4:3000 max_fails=1 fail_timeout=2s;\n {4}keepalive 64;/,
  );
  assert.match(conf, /map \$http_x_preview \$slipway_preview \{\n {4}default "";\n {4}"v1" slipway_r0;/);
  assert.match(
    conf,
    /js_import slipway from \/p\/route\.js;\n {2}js_var \$slipway_routes \/p\/routes-3\.json;/,
  );
  assert.match(
    conf,
    /map \$slipway_preview \$slipway_upstream \{ "" \$slipway_split; default \$slipway_preview; \}/,
  );
  assert.match(conf, /^ {4}listen 127\.0\.0\.1:8080;$/m);
  assert.match(conf, /proxy_next_upstream error timeout;/);
});

test('nginx config: weights are not in the config, so a weight change renders the same config', () => {
  const shifted = state.releases.map((r, i) => ({ ...r, weight: [0, 100, 0][i]! }));
  assert.equal(render(undefined, shifted), render());
  assert.notEqual(renderRoutes({ ...state, releases: shifted }), renderRoutes(state));
});

test('nginx config: the routes file holds weights, releases with a healthy backend and the sticky variable', () => {
  assert.deepEqual(JSON.parse(renderRoutes(state, new Set(['10.0.0.4:3000']))), {
    weights: [70, 30, 0],
    eligible: [true, true, false],
    user: 'cookie_uid',
  });
  const header = { ...state, stickiness: { kind: 'header', name: 'X-User-Id' } } as const;
  assert.equal(JSON.parse(renderRoutes(header)).user, 'http_x_user_id');
  assert.equal(JSON.parse(renderRoutes({ ...state, stickiness: undefined })).user, null);
});

test('nginx config: a backend failing its health check is rendered down', () => {
  const lines = render(new Set(['10.0.0.2:3000']))
    .split('\n')
    .filter((l) => l.includes('10.0.0.2:3000'));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, / down;$/);
});
