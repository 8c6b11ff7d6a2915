/**
 * Instance log files are redacted as they are written (issue: "instance logs on disk keep secrets
 * in plain text"): a real instance prints its secret in every form it tends to leak in, and the
 * files on disk are searched for each form afterwards.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { secretForms } from '../../secrets/redact.ts';
import { tempDir } from '../../testing.ts';
import { ProcessRuntime } from './process-runtime.ts';
import { eventually, exampleSpec, PidTracker } from './testing.ts';

const SECRET = 'jwt-signing-Qx7#p/9+Zr=kL2 "end"';
const APP = `
const http = require('node:http');
const s = process.env.JWT_SIGNING;
const b = Buffer.from(s);
console.log('plain ' + s);
console.log('base64 ' + b.toString('base64') + ' url64 ' + b.toString('base64url'));
console.log('url ' + encodeURIComponent(s) + ' form ' + encodeURIComponent(s).replace(/%20/g, '+'));
console.error('hex ' + b.toString('hex') + ' HEX ' + b.toString('hex').toUpperCase());
console.error(JSON.stringify({ config: { signing: s } }));
// Split across writes, as a buffered logger may do.
process.stdout.write('split ' + s.slice(0, 9));
setTimeout(() => process.stdout.write(s.slice(9) + ' done\\n'), 50);
http.createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
`;

test('an instance that prints its secret in every form leaves none of them in its log files (0600)', async () => {
  const release = tempDir('slipway-logred-release-');
  const state = tempDir('slipway-logred-state-');
  const pids = new PidTracker();
  const runtime = new ProcessRuntime({ stateDir: state.path });
  try {
    writeFileSync(join(release.path, 'app.cjs'), APP);
    const spec = exampleSpec(release.path, {
      command: `"${process.execPath}" app.cjs`,
      vars: { JWT_SIGNING: SECRET, GREETING: 'hello' },
      secretVars: ['JWT_SIGNING'],
    });
    const started = await runtime.start(spec);
    pids.add(...started.map((i) => i.pid));
    const file = runtime.logFiles('staging', 'v1')[0]?.file as string;
    await eventually(() => (readFileSync(file, 'utf8').includes(' done') ? true : undefined));
    await runtime.stop('staging', 'v1');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /plain \[redacted:JWT_SIGNING\]/);
    assert.match(text, /split \[redacted:JWT_SIGNING\] done/);
    const forms = [...secretForms(SECRET), Buffer.from(SECRET).toString('hex')];
    for (const form of forms) assert.ok(!text.includes(form), `the log file holds the secret as ${form}`);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'only the owner reads an instance log');
  } finally {
    await runtime.stop('staging', 'v1').catch(() => undefined);
    await runtime.close();
    pids.killAll();
    release.cleanup();
    state.cleanup();
  }
});
