import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../domain/errors.ts';
import { pickSticky, stickyPoint } from '../builtin/split.ts';
import { njsModuleFrom } from './njs-module.ts';

/** route.js is the njs module nginx runs; Node runs the same file here. */
interface Route {
  pick(routes: { weights: number[]; eligible: boolean[] }, userPoint: number | null, point: number): number;
  stickyPoint(id: string): number;
  splitPoint(connection: number, requests: number): number;
  choose(
    routes: Routes,
    preview: string | null,
    user: string | null,
    connection: number,
    requests: number,
  ): string;
  without(routes: Routes, failed: string[]): Routes;
}
interface Routes {
  names: string[];
  weights: number[];
  eligible: boolean[];
  backends: string[][];
  user: string | null;
  preview: string | null;
}
const route = ((await import(String(new URL('./route.js', import.meta.url)))) as { default: Route }).default;

test('nginx route.js: the sticky hash and pick are the builtin router’s, so a user lands on the same release', () => {
  const routes = { weights: [60, 25, 15], eligible: [true, true, true] };
  for (let i = 0; i < 2000; i++) {
    const id = `user-${i}-${'é'.repeat(i % 3)}`;
    assert.equal(route.stickyPoint(id), stickyPoint(id), id);
    const p = stickyPoint(id);
    assert.equal(route.pick(routes, p, 0), pickSticky(p, routes.weights, routes.eligible), id);
  }
});

test('nginx route.js: a sticky user on the new release stays there while its weight grows', () => {
  const users = Array.from({ length: 500 }, (_, i) => route.stickyPoint(`u${i}`));
  let before = new Set<number>();
  for (const w of [1, 5, 10, 30, 60, 99, 100]) {
    const routes = { weights: [100 - w, w], eligible: [true, true] };
    const onNew = new Set(users.flatMap((p, i) => (route.pick(routes, p, 0) === 1 ? [i] : [])));
    for (const u of before) assert.ok(onNew.has(u), `user ${u} flipped back at ${w}%`);
    before = onNew;
  }
  assert.equal(before.size, 500);
});

test('nginx route.js: the split is within two requests of the weights, on one connection or on many', () => {
  const routes = { weights: [70, 30], eligible: [true, true] };
  for (const n of [10, 100, 1000]) {
    let keptAlive = 0;
    let oneEach = 0;
    for (let k = 1; k <= n; k++) {
      if (route.pick(routes, null, route.splitPoint(7, k)) === 1) keptAlive++;
      if (route.pick(routes, null, route.splitPoint(1000 + k, 1)) === 1) oneEach++;
    }
    assert.ok(Math.abs(keptAlive - 0.3 * n) <= 2, `${keptAlive} of ${n} on one connection`);
    assert.ok(Math.abs(oneEach - 0.3 * n) <= 2, `${oneEach} of ${n} on one-request connections`);
  }
});

test('nginx route.js: releases without a healthy backend are skipped; none left is -1 (a 502)', () => {
  const routes = { weights: [50, 50], eligible: [true, false] };
  for (let k = 1; k <= 50; k++) assert.equal(route.pick(routes, null, route.splitPoint(1, k)), 0);
  const stickyOnNew = route.stickyPoint('u1') < 50 ? 'u1' : 'u2';
  assert.equal(route.pick(routes, route.stickyPoint(stickyOnNew), 0), 0, 'a sticky user falls back too');
  assert.equal(route.pick({ weights: [100, 0], eligible: [false, true] }, null, 10), -1);
  assert.equal(route.pick({ weights: [0, 100], eligible: [true, true] }, null, 99.99), 1);
});

const routes: Routes = {
  names: ['v1', 'v2'],
  weights: [70, 30],
  eligible: [true, true],
  backends: [['127.0.0.1:1001', '127.0.0.1:1002'], ['127.0.0.1:2001']],
  user: null,
  preview: 'http_x_slipway_release',
};

test('nginx route.js: a request gets a backend of its release, in turn across a release’s backends', () => {
  const seen = new Map<string, number>();
  for (let k = 1; k <= 1000; k++) {
    const b = route.choose(routes, null, null, 7, k);
    seen.set(b, (seen.get(b) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), ['127.0.0.1:1001', '127.0.0.1:1002', '127.0.0.1:2001']);
  assert.ok(Math.abs((seen.get('127.0.0.1:2001') ?? 0) - 300) <= 2);
  assert.ok(Math.abs((seen.get('127.0.0.1:1001') ?? 0) - 350) <= 30, JSON.stringify([...seen]));
});

test('nginx route.js: the preview header names a release exactly; an unknown name takes the split', () => {
  for (let k = 1; k <= 50; k++) assert.equal(route.choose(routes, 'v2', null, 1, k), '127.0.0.1:2001');
  assert.ok(route.choose(routes, 'v9', null, 1, 1).startsWith('127.0.0.1:'));
  const none = { ...routes, backends: [routes.backends[0]!, []], eligible: [true, false] };
  assert.equal(route.choose(none, 'v2', null, 1, 1), 'slipway_none');
  assert.equal(route.choose({ ...routes, weights: [0, 0] }, null, null, 1, 1), 'slipway_none');
});

test('nginx route.js: a retry never goes back to a backend tried; none left is slipway_none', () => {
  const once = route.without(routes, ['127.0.0.1:1001']);
  for (let k = 1; k <= 200; k++) assert.notEqual(route.choose(once, null, null, 3, k), '127.0.0.1:1001');
  const all = route.without(routes, ['127.0.0.1:2001', '127.0.0.1:1001', '127.0.0.1:1002']);
  assert.equal(route.choose(all, null, null, 3, 1), 'slipway_none');
  // The new release lost its only backend: its share goes to the other release, not to a 502.
  const v2gone = route.without(routes, ['127.0.0.1:2001']);
  for (let k = 1; k <= 100; k++) assert.match(route.choose(v2gone, null, null, 5, k), /:100[12]$/);
});

test('nginx njs module: found from nginx -V, or a clear error naming the Debian package', () => {
  const v =
    'configure arguments: --prefix=/usr/share/nginx --modules-path=/usr/lib/nginx/modules --with-compat';
  const at = (path: string) => (p: string) => p === path;
  assert.equal(
    njsModuleFrom(v, at('/usr/lib/nginx/modules/ngx_http_js_module.so')),
    '/usr/lib/nginx/modules/ngx_http_js_module.so',
  );
  assert.equal(njsModuleFrom('configure arguments: --add-module=../njs/nginx', at('')), null);
  assert.throws(
    () => njsModuleFrom(v, at('')),
    (e) => e instanceof AppError && /apt-get install libnginx-mod-http-js/.test(e.message),
  );
});
