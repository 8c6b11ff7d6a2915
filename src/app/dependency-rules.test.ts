/**
 * The dependency rules docs/architecture.md states, checked on the source: the engine owns the
 * Gates port and imports neither gates/ nor app/; config/ opens no secret store; only app/ (and
 * the `secret` command) opens one.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../testing.ts';

const src = join(repoRoot, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    // Tests and test support may compose whatever they test.
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'testing.ts' ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((m) => m[1] as string);
}

function offenders(folder: string, forbidden: RegExp): string[] {
  return files(join(src, folder)).flatMap((f) =>
    importsOf(f)
      .filter((i) => forbidden.test(i))
      .map((i) => `${relative(repoRoot, f)} imports ${i}`),
  );
}

test('engine/ imports neither gates/ nor app/ (it owns the Gates port; app/ wires it)', () => {
  assert.deepEqual(offenders('engine', /\/(gates|app|server|cli)\//), []);
});

test('gates/ implements engine ports and imports no app/, server/ or cli/', () => {
  assert.deepEqual(offenders('gates', /\/(app|server|cli)\//), []);
});

test('config/ opens no secret store and knows no app/', () => {
  assert.deepEqual(offenders('config', /secrets\/(factory|local|vault|env)|\/app\//), []);
});
