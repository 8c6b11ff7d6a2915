import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shellLine } from './instance.ts';

test('simple commands are exec-ed so the app is the group leader; compound ones run under the shell', () => {
  assert.equal(shellLine('node server.js --port $PORT'), 'exec node server.js --port $PORT');
  assert.equal(shellLine('  ./bin/app  '), 'exec ./bin/app');
  assert.equal(shellLine('cd web && node server.js'), 'cd web && node server.js');
  assert.equal(shellLine('NODE_ENV=production node server.js'), 'NODE_ENV=production node server.js');
  assert.equal(shellLine('node a.js | tee out.log'), 'node a.js | tee out.log');
  assert.equal(shellLine('exec node a.js'), 'exec node a.js');
});
