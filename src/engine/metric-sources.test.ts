import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import type { EnvironmentConfig } from '../config/schema.ts';
import { AGENT_PROMQL, BUSINESS, envMetricSources, rollbackIfOf } from './metric-sources.ts';

function env(yaml: string): EnvironmentConfig {
  const result = parseConfig(
    `app: shop\nrun: { command: x }\nenvironments:\n  production:\n${yaml}`,
    'slipway.yaml',
  );
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.config.environments.production as EnvironmentConfig;
}

test('without metrics: the builtin router measures, no extra providers', () => {
  const s = envMetricSources(env('    strategy: canary\n'));
  assert.equal(s.defaultProvider, 'builtin');
  assert.deepEqual(Object.keys(s.providers), []);
});

test('prometheus becomes the default provider; custom queries add to the agent ones', () => {
  const s = envMetricSources(
    env('    metrics: { provider: prometheus, url: "http://127.0.0.1:9090", queries: { p95: "x" } }\n'),
  );
  assert.equal(s.defaultProvider, 'prometheus');
  assert.equal(s.providers.prometheus?.name, 'prometheus');
});

test('the agent PromQL is templated on env and release', () => {
  for (const spec of Object.values(AGENT_PROMQL)) {
    assert.match(spec.query, /env="\{\{env\}\}",release="\{\{release\}\}"/);
    assert.match(spec.query, /\[\{\{window\}\}\]/);
  }
});

test('http metrics and a business metric endpoint', () => {
  const s = envMetricSources(
    env(
      '    metrics: { provider: http, url: "http://127.0.0.1:9/m?r={{release}}", path: "data.{{metric}}" }\n    rollbackIf: { businessMetric: { url: "http://127.0.0.1:9/b?r={{release}}", path: orders.rate, dropAbove: 15% } }\n',
    ),
  );
  assert.equal(s.defaultProvider, 'http');
  assert.deepEqual(Object.keys(s.providers).sort(), [BUSINESS, 'http']);
  const r = rollbackIfOf(
    env(
      '    rollbackIf: { businessMetric: { url: "http://127.0.0.1:9/b", path: orders.rate, dropAbove: 15% } }\n',
    ),
  );
  assert.deepEqual(r.businessMetric, { metric: BUSINESS, provider: BUSINESS, dropAbove: 0.15 });
});
