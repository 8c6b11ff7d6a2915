import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPlainAgentCall } from './fast-entry.ts';

test('only a plain `agent` call takes the fast path; help and global flags go through the full CLI', () => {
  assert.equal(isPlainAgentCall(['agent']), true);
  assert.equal(isPlainAgentCall(['agent', '--port', '7311', '--state-dir', 'x']), true);
  assert.equal(isPlainAgentCall(['agent', '--port=7311']), true);
  assert.equal(isPlainAgentCall(['agent', '--supervise', '--state-dir', 'x']), true);
  assert.equal(isPlainAgentCall(['agent', 'stop']), false);
  assert.equal(isPlainAgentCall(['agent', 'install', '--plain']), false);
  assert.equal(isPlainAgentCall(['agent', '--help']), false);
  assert.equal(isPlainAgentCall(['agent', '-f', 'other.yaml']), false);
  assert.equal(isPlainAgentCall(['deploy', '1.0.0']), false);
  assert.equal(isPlainAgentCall([]), false);
});
