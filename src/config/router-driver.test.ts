import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from './load.ts';

const yaml = (env: string) =>
  `app: shop\nrun: { command: node server.js }\nenvironments:\n  production:\n${env}`;

test('a canary with analysis on haproxy or nginx needs a metrics source, named at router.driver', () => {
  const canary =
    '    strategy: { canary: { steps: [{ weight: 10, analysis: default }, { weight: 100 }] } }\n';
  const refused = parseConfig(`${yaml(canary)}    router: { driver: nginx }\n`, 'slipway.yaml');
  assert.ok(!refused.ok);
  assert.equal(refused.problems[0]?.path, 'environments.production.router.driver');
  assert.match(refused.problems[0]?.message ?? '', /nginx keeps no per-release metrics .* set metrics/);
  const withSource = `${yaml(canary)}    router: { driver: nginx }\n    metrics: { provider: prometheus, url: http://127.0.0.1:9090 }\n`;
  assert.ok(parseConfig(withSource, 'slipway.yaml').ok);
  assert.ok(parseConfig(`${yaml(canary)}    router: { driver: builtin }\n`, 'slipway.yaml').ok);
  assert.ok(
    parseConfig(yaml('    strategy: blue-green\n    router: { driver: haproxy }\n'), 'slipway.yaml').ok,
  );
  const shorthand = yaml('    strategy: canary\n    router: { driver: haproxy }\n');
  assert.ok(!parseConfig(shorthand, 'slipway.yaml').ok, 'strategy: canary analyses by default');
});
