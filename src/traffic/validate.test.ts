import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import type { RouteState } from './contract.ts';
import { validateRouteState, withWeights } from './validate.ts';

const base: RouteState = {
  env: 'prod',
  listen: { host: '127.0.0.1', port: 8080 },
  releases: [
    { release: 'v1', weight: 70, backends: [{ id: 'a', host: '127.0.0.1', port: 3001 }] },
    { release: 'v2', weight: 30, backends: [{ id: 'b', host: '127.0.0.1', port: 3002 }] },
  ],
};
const fails = (message: RegExp) => (e: unknown) =>
  isAppError(e) && e.code === 'TRAFFIC_ROUTE_INVALID' && message.test(e.message);

test('validate: weights must be integers 0–100 adding up to 100, named in the message', () => {
  assert.doesNotThrow(() => validateRouteState(base));
  const bad = { ...base, releases: [{ ...base.releases[0]!, weight: 60 }, base.releases[1]!] };
  assert.throws(() => validateRouteState(bad), fails(/env "prod": weights add up to 90 \(v1=60, v2=30\)/));
  const frac = { ...base, releases: [{ ...base.releases[0]!, weight: 70.5 }, base.releases[1]!] };
  assert.throws(() => validateRouteState(frac), fails(/release "v1" has weight 70\.5/));
});

test('validate: duplicate releases and backend ids, bad ports are refused', () => {
  const dup = { ...base, releases: [base.releases[0]!, { ...base.releases[1]!, release: 'v1' }] };
  assert.throws(() => validateRouteState(dup), fails(/release "v1" is listed twice/));
  const ids = {
    ...base,
    releases: [base.releases[0]!, { ...base.releases[1]!, backends: base.releases[0]!.backends }],
  };
  assert.throws(() => validateRouteState(ids), fails(/backend id "a" is used twice/));
  assert.throws(
    () => validateRouteState({ ...base, listen: { host: '127.0.0.1', port: 0 } }),
    fails(/listen/),
  );
});

test('validate: withWeights sets unnamed releases to 0 and refuses unknown ones', () => {
  assert.deepEqual(
    withWeights(base, 'prod', { v2: 100 }).map((r) => r.weight),
    [0, 100],
  );
  assert.throws(() => withWeights(base, 'prod', { v3: 100 }), fails(/no release "v3" \(it has: v1, v2\)/));
  assert.throws(() => withWeights(undefined, 'prod', { v1: 100 }), fails(/apply\(\) its state before/));
});
