/** The container fingerprint label: stable for one state folder, changed by a secret, no plain hash of the spec. */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../testing.ts';
import type { InstanceSpec } from '../contract.ts';
import { specFingerprint } from '../process/spec.ts';
import { fingerprinter } from './fingerprint.ts';

const spec: InstanceSpec = {
  app: 'shop',
  env: 'staging',
  release: 'v1',
  cwd: '/',
  command: '',
  image: `127.0.0.1:5000/shop@sha256:${'a'.repeat(64)}`,
  vars: { GREETING: 'ahoy', API_TOKEN: 'tok_fingerprint_Qw7Rt2Yx' },
  secretKeys: ['API_TOKEN'],
  count: 1,
  health: { path: '/health', intervalMs: 100, timeoutMs: 100 },
  startTimeoutMs: 1000,
  stopTimeoutMs: 1000,
};

test('the fingerprint cannot confirm a guessed secret: keyed per state folder, not the plain spec hash', () => {
  const a = tempDir('slipway-fp-a-');
  const b = tempDir('slipway-fp-b-');
  try {
    const label = fingerprinter(a.path)(spec);
    assert.match(label, /^[0-9a-f]{16}$/);
    // What an engine user could compute from a guessed value: not what the label holds.
    assert.notEqual(label, specFingerprint(spec));
    assert.ok(!label.includes(specFingerprint(spec).slice(0, 8)));
    assert.equal(statSync(join(a.path, 'fingerprint.key')).mode & 0o777, 0o600);
    // A new runtime on the same folder (after an agent restart) computes the same, so it adopts.
    assert.equal(fingerprinter(a.path)(spec), label);
    // Another agent's folder: another key.
    assert.notEqual(fingerprinter(b.path)(spec), label);
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('a rotated secret or another image changes the fingerprint (the container is not adopted)', () => {
  const dir = tempDir('slipway-fp-');
  try {
    const of = fingerprinter(dir.path);
    const label = of(spec);
    assert.notEqual(of({ ...spec, vars: { ...spec.vars, API_TOKEN: 'tok_rotated' } }), label);
    assert.notEqual(of({ ...spec, image: `127.0.0.1:5000/shop@sha256:${'b'.repeat(64)}` }), label);
    assert.equal(of({ ...spec }), label);
  } finally {
    dir.cleanup();
  }
});
