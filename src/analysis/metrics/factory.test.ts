import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetricProvider, createMetricProviders, type MetricProviderSpec } from './factory.ts';

test('createMetricProvider builds each kind', () => {
  const router = { name: 'fake-router' };
  const runtime = { name: 'fake-runtime', list: async () => [] };
  const names = [
    createMetricProvider({ kind: 'builtin' }, { router }),
    createMetricProvider({ kind: 'runtime' }, { runtime }),
    createMetricProvider({ kind: 'http', url: 'http://127.0.0.1:1/x', path: 'a' }),
    createMetricProvider({ kind: 'prometheus', url: 'http://127.0.0.1:9090', queries: { up: 'up' } }),
  ].map((p) => p.name);
  assert.deepEqual(names, ['builtin', 'runtime', 'http', 'prometheus']);
});

test('an unknown provider kind names itself and the known ones', () => {
  assert.throws(() => createMetricProvider({ kind: 'datadog' } as unknown as MetricProviderSpec), {
    code: 'METRIC_PROVIDER_UNKNOWN',
    message: 'unknown metric provider "datadog"; known providers: builtin, runtime, http, prometheus',
  });
});

test('createMetricProviders prefixes errors with the provider key', () => {
  assert.throws(() => createMetricProviders({ builtin: { kind: 'builtin' } }), {
    code: 'METRIC_PROVIDER_INVALID',
    message: 'metrics.builtin: the builtin metric provider needs the traffic router; pass deps.router',
  });
  assert.throws(
    () => createMetricProviders({ prom: { kind: 'prometheus', url: 'localhost:9090', queries: {} } }),
    {
      message:
        'metrics.prom: metric provider prometheus: url "localhost:9090" is not an http(s) URL; use e.g. http://127.0.0.1:9090',
    },
  );
});
