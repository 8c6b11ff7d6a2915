import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderConfig, serverWeight, stickyRanges, structureOf } from './config.ts';

const state = {
  env: 'prod',
  listen: { host: '127.0.0.1', port: 8080 },
  releases: [
    { release: 'v1', weight: 70, backends: [{ id: 'a', host: '10.0.0.1', port: 3000 }] },
    { release: 'v2', weight: 30, backends: [{ id: 'b', host: '10.0.0.2', port: 3000 }] },
  ],
  stickiness: { kind: 'header', name: 'x-user-id' },
} as const;

test('haproxy config: slots are pre-allocated and rendered disabled before the runtime API fills them', () => {
  const cfg = renderConfig({
    dir: '/s',
    threads: 1,
    structure: structureOf(state),
    servers: [],
    enabled: false,
  });
  assert.match(cfg, /^ {2}bind 127\.0\.0\.1:8080$/m);
  assert.match(cfg, /^ {2}retry-on conn-failure empty-response response-timeout$/m);
  assert.match(cfg, /^ {2}server r3s3 127\.0\.0\.1:1 weight 0 disabled$/m);
  assert.match(cfg, /^ {2}server s0 127\.0\.0\.1:1 weight 1 disabled track all\/r0s0$/m);
  assert.match(cfg, /^ {2}use_backend r1 if sticky_r1_lo sticky_r1_hi \{ nbsrv\(r1\) gt 0 \}$/m);
  assert.match(cfg, /stats socket \/s\/admin\.sock mode 600 level admin expose-fd listeners/);
});

test('haproxy config: a reload renders the servers with their weights', () => {
  const servers = [
    [{ host: '10.0.0.1', port: 3000, weight: 179 }],
    [{ host: '10.0.0.2', port: 3000, weight: 77 }],
  ];
  const cfg = renderConfig({ dir: '/s', threads: 2, structure: structureOf(state), servers, enabled: true });
  assert.match(cfg, /^ {2}server r0s0 10\.0\.0\.1:3000 weight 179$/m);
  assert.match(cfg, /^ {2}server s0 10\.0\.0\.2:3000 weight 1 track all\/r1s0$/m);
  assert.match(cfg, /^ {2}nbthread 2$/m);
});

test('haproxy config: weights and sticky ranges', () => {
  assert.deepEqual(
    [serverWeight(30, 1), serverWeight(70, 1), serverWeight(100, 4), serverWeight(0, 2)],
    [77, 179, 64, 0],
  );
  assert.deepEqual(
    [
      ...stickyRanges([
        { slot: 2, weight: 70 },
        { slot: 0, weight: 30 },
      ]),
    ],
    [
      [0, [0, 3000]],
      [2, [3000, 10000]],
    ],
  );
});
