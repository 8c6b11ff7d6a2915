/** `slipway init` in a folder with a Containerfile says how to run its images (run.image), and the file stays valid. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

test('init detects a Containerfile and points at run.image; the result validates', async () => {
  const dir = tempDir('slipway-init-containerfile-');
  try {
    writeFileSync(join(dir.path, 'package.json'), '{"name":"web","scripts":{"start":"node index.js"}}');
    writeFileSync(
      join(dir.path, 'Containerfile'),
      'FROM node:24\nCOPY . /app\nCMD ["node","/app/index.js"]\n',
    );
    const r = await cli(dir.path, 'init');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /found a Containerfile: see run\.image/);
    const yaml = readFileSync(join(dir.path, 'slipway.yaml'), 'utf8');
    assert.match(yaml, /# image: registry\.example\.com\/web +# this folder has a Containerfile/);
    assert.equal((await cli(dir.path, 'validate')).code, 0);
  } finally {
    dir.cleanup();
  }
});

test('init without a Containerfile says nothing about images', async () => {
  const dir = tempDir('slipway-init-plain-');
  try {
    const r = await cli(dir.path, 'init');
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(readFileSync(join(dir.path, 'slipway.yaml'), 'utf8'), /run\.image|image:/);
  } finally {
    dir.cleanup();
  }
});
