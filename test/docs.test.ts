import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { withReference } from '../scripts/cli-reference.ts';
import { repoRoot } from '../src/testing.ts';

test("the README's CLI reference is generated from the CLI's own definitions and up to date", () => {
  const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
  assert.equal(withReference(readme), readme, 'run `npm run docs` to refresh README.md');
});

test('the README gives exactly two set-up commands: install + main job, and the tests', () => {
  const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
  const setup = readme.split('## Set up (fresh clone)')[1]?.split('```')[1] ?? '';
  assert.deepEqual(setup.trim().split('\n').slice(1), ['npm install && npm run demo', 'npm test']);
});
