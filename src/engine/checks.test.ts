import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../testing.ts';
import { createCheckRunner } from './checks.ts';
import type { DeploymentContext } from './context.ts';

const ctx = (checks: { name: string; run: string; timeoutMs: number }[]) =>
  ({
    env: 'staging',
    listen: { host: '127.0.0.1', port: 4321 },
    previewHeader: 'x-slipway-release',
    release: { id: 'rel-1', version: '1.2.3' },
    checks,
  }) as unknown as DeploymentContext;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('check commands (real processes)', () => {
  const dir = tempDir('slipway-checks-');
  after(() => dir.cleanup());
  const runner = createCheckRunner({ cwd: dir.path, env: { PATH: process.env.PATH } });

  test('run in the project folder with the environment address; notes say each passed', async () => {
    const r = await runner.run(
      ctx([
        {
          name: 'env',
          run: 'test "$SLIPWAY_ENV_URL" = http://127.0.0.1:4321 && test "$SLIPWAY_RELEASE" = 1.2.3',
          timeoutMs: 5000,
        },
        { name: 'cwd', run: 'touch here', timeoutMs: 5000 },
      ]),
    );
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.match(r.ok ? r.note : '', /^check env passed in \d+\.\d s; check cwd passed in/);
    assert.equal(existsSync(join(dir.path, 'here')), true);
  });

  test('a failure names the check, its exit code and the end of its output; later checks do not run', async () => {
    const r = await runner.run(
      ctx([
        { name: 'e2e', run: 'seq 1 5000; echo "1 test failed: checkout" >&2; exit 3', timeoutMs: 5000 },
        { name: 'never', run: 'touch never', timeoutMs: 5000 },
      ]),
    );
    assert.equal(r.ok, false);
    const reason = r.ok ? '' : r.reason;
    assert.match(reason, /^check e2e failed \(exit 3\) after \d+\.\d s: `seq 1 5000;/);
    assert.match(reason, /1 test failed: checkout$/);
    assert.doesNotMatch(reason, /\n1\n2\n/, 'only the tail of the output is kept');
    assert.ok(reason.length < 4096 + 300);
    assert.equal(existsSync(join(dir.path, 'never')), false);
  });

  test('a hanging check is killed at its timeout with its whole process group', async () => {
    const pidFile = join(dir.path, 'grandchild.pid');
    // A grandchild that would outlive a plain kill of the shell.
    writeFileSync(join(dir.path, 'hang.sh'), `sleep 60 & echo $! > ${pidFile}; echo started; wait\n`);
    const started = Date.now();
    const r = await runner.run(ctx([{ name: 'hang', run: 'sh hang.sh', timeoutMs: 700 }]));
    assert.ok(Date.now() - started < 5000);
    assert.equal(r.ok, false);
    assert.match(
      r.ok ? '' : r.reason,
      /^check hang did not finish within 0\.7 s: killed with its process group;[\s\S]*started$/,
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(alive(pid), false, 'the grandchild sleep was killed too');
  });

  test('slipway settings of this process are not handed to the command', async () => {
    process.env.SLIPWAY_TOKEN = 'slw_not_for_checks';
    try {
      const r = await createCheckRunner({ cwd: dir.path }).run(
        ctx([{ name: 'token', run: 'test -z "$SLIPWAY_TOKEN"', timeoutMs: 5000 }]),
      );
      assert.equal(r.ok, true, JSON.stringify(r));
    } finally {
      delete process.env.SLIPWAY_TOKEN;
    }
  });
});
