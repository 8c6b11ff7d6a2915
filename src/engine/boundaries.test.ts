/**
 * The engine's dependency rule: it drives the data plane through the port in
 * src/domain/data-plane.ts and never imports the agent's internals. Only the composition root
 * (compose.ts) knows the agent's HTTP client.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

test('engine files import nothing from src/agent/ but the composition root, the client only', () => {
  const dir = import.meta.dirname;
  const offenders = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'testing.ts')
    .flatMap((f) =>
      [...readFileSync(join(dir, f), 'utf8').matchAll(/from '(\.\.\/agent\/[^']+)'/g)]
        .map((m) => `${f} → ${m[1]}`)
        .filter((edge) => edge !== 'compose.ts → ../agent/client.ts'),
    );
  assert.deepEqual(offenders, []);
});
