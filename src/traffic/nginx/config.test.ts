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

const render = (releases: readonly ReleaseRoute[] = state.releases) =>
  renderNginx({
    dir: '/p',
    workers: 1,
    state: { ...state, releases },
    jsModule: '/m/ngx_http_js_module.so',
    script: '/p/route.js',
    routes: '/p/routes-3.json',
  });

test('nginx config: no release in it; njs picks the backend from the routes file and nginx proxies to it, with one retry', () => {
  const conf = render();
  assert.match(conf, /^load_module \/m\/ngx_http_js_module\.so;\n/);
  assert.doesNotMatch(conf, /10\.0\.0\.|slipway_r\d|"v1"/);
  assert.match(
    conf,
    /js_import slipway from \/p\/route\.js;\n {2}js_var \$slipway_routes \/p\/routes-3\.json;/,
  );
  assert.match(conf, /js_set \$slipway_upstream slipway\.upstream;/);
  assert.match(conf, /^ {4}listen 127\.0\.0\.1:8080;$/m);
  assert.match(
    conf,
    /location \/ \{\n {6}proxy_pass http:\/\/\$slipway_upstream;\n {6}error_page 502 504 = @slipway_retry;/,
  );
  assert.match(conf, /location @slipway_retry \{\n {6}proxy_pass http:\/\/\$slipway_retry;/);
});

test('nginx config: a new release, other backends or other weights render the same config (no reload)', () => {
  const shifted = state.releases.map((r, i) => ({ ...r, weight: [0, 100, 0][i]! }));
  assert.equal(render(shifted), render());
  const added = [
    ...state.releases,
    { release: 'v4', weight: 0, backends: [{ id: 'e', host: '10.0.0.5', port: 1 }] },
  ];
  assert.equal(render(added), render());
  assert.notEqual(renderRoutes({ ...state, releases: shifted }), renderRoutes(state));
  assert.notEqual(renderRoutes({ ...state, releases: added }), renderRoutes(state));
});

test('nginx config: the routes file holds releases, weights, healthy backends, the sticky and preview variables', () => {
  assert.deepEqual(JSON.parse(renderRoutes(state, new Set(['10.0.0.4:3000', '10.0.0.2:3000']))), {
    names: ['v1', 'v2', 'v3'],
    weights: [70, 30, 0],
    eligible: [true, true, false],
    backends: [['10.0.0.1:3000'], ['10.0.0.3:3000'], []],
    user: 'cookie_uid',
    preview: 'http_x_preview',
  });
  const header = { ...state, stickiness: { kind: 'header', name: 'X-User-Id' } } as const;
  assert.equal(JSON.parse(renderRoutes(header)).user, 'http_x_user_id');
  assert.equal(JSON.parse(renderRoutes({ ...state, stickiness: undefined })).user, null);
  const v6 = [{ release: 'v1', weight: 100, backends: [{ id: 'a', host: '::1', port: 3000 }] }];
  assert.deepEqual(JSON.parse(renderRoutes({ ...state, releases: v6 })).backends, [['[::1]:3000']]);
});
