/**
 * `npm run demo -- --containers`: the demo's story on images built, pushed and registered by
 * digest, and what it says on a machine without a container engine.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { engineSkip } from '../src/runtime/container/testing.ts';
import { repoRoot } from '../src/testing.ts';
import { assertStory, demo } from './demo-story.ts';

test('the demo in container mode: the same story on images built, pushed and registered by digest', {
  skip: engineSkip(),
}, async () => {
  const out = await demo('--containers');
  for (const v of ['1.0.0', '2.0.0', '2.1.0'])
    assert.match(
      out,
      new RegExp(
        `registered shop ${v.replaceAll('.', '\\.')} .* image 127\\.0\\.0\\.1:\\d+/shop@sha256:[0-9a-f]{64} \\(built and pushed as`,
      ),
    );
  assertStory(out);
});

test('container mode without an engine says which pieces are missing and how to install them (exit 4)', async () => {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'scripts/demo.ts'), '--containers'],
    // A PATH with node and nothing else: no podman, runc nor docker-registry.
    { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', PATH: dirname(process.execPath) } },
  );
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 4, err);
  assert.match(
    err,
    /needs a container engine and a registry, and podman, runc, docker-registry are not installed: .*apt-get install podman runc docker-registry/,
  );
});
