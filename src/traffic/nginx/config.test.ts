import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nginxWeight, renderNginx } from './config.ts';

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

test('nginx config: weighted split, preview map and sticky split_clients with the newest release first', () => {
  const conf = renderNginx({ dir: '/p', workers: 1, state });
  assert.match(
    conf,
    /upstream slipway_all \{\n {4}server 10\.0\.0\.1:3000 weight=4200 [^\n]*\n {4}server 10\.0\.0\.2:3000 weight=900 /,
  );
  assert.doesNotMatch(conf, /slipway_all \{[^}]*10\.0\.0\.4/, 'a release at weight 0 is not in the split');
  assert.match(conf, /map \$http_x_preview \$slipway_preview \{\n {4}default "";\n {4}"v1" slipway_r0;/);
  assert.match(
    conf,
    /split_clients "\$cookie_uid" \$slipway_split \{\n {4}30% slipway_r1;\n {4}70% slipway_r0;\n {2}\}/,
  );
  assert.match(conf, /^ {4}listen 127\.0\.0\.1:8080;$/m);
  assert.match(conf, /proxy_next_upstream error timeout;/);
});

test('nginx config: weights are integers proportional to the release share per server', () => {
  assert.deepEqual([nginxWeight(30, 1), nginxWeight(30, 2), nginxWeight(1, 7)], [1800, 900, 9]);
});

test('nginx config: a backend failing its health check is rendered down in every upstream', () => {
  const conf = renderNginx({ dir: '/p', workers: 1, state, down: new Set(['10.0.0.2:3000']) });
  const lines = conf.split('\n').filter((l) => l.includes('10.0.0.2:3000'));
  assert.equal(lines.length, 2);
  for (const l of lines) assert.match(l, / down;$/);
});
