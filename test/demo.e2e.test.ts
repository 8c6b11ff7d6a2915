/**
 * The README's main command, `npm run demo`, run for real: it must finish, tell its story with
 * measured figures, and leave nothing running.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../src/testing.ts';

test('the demo deploys, switches, rolls back by hand and on its own, rolls a flag out and kills it, under traffic, and cleans up', async () => {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'scripts/demo.ts')],
    { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } },
  );
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, out);
  assert.match(out, /Switched to 2\.0\.0: 0 of [\d,]+ requests failed during the deploy\./);
  assert.match(out, /Rolled back in [\d.]+ ms; 0 of [\d,]+ requests failed\./);
  assert.match(out, /2\.0\.0 is live on production; 0 of [\d,]+ requests failed along the way\./);
  assert.match(
    out,
    /✗ shop 2\.1\.0 was rolled back on production in [\d.]+s: error-rate is [\d.]+%, above 5%/,
  );
  assert.match(
    out,
    /Rolled back on its own\. Users saw \d+ error answers from 2\.1\.0 .*; 0 requests failed for any other reason\./,
  );
  if (!/Feature flags are left out/.test(out)) {
    // The flag chapter: shares of users measured from the traffic, a kill that reaches everyone.
    const share = (what: string) => {
      const m = new RegExp(`${what}: (\\d+) of (\\d+) users`).exec(out);
      assert.ok(m, `no line for "${what}" in:\n${out}`);
      return Number(m[1]) / Number(m[2]);
    };
    assert.equal(share('Dark'), 0);
    const ten = share('Rolled out to 10%');
    assert.ok(ten > 0.02 && ten < 0.25, `10%: ${ten}`);
    const half = share('Rolled out to 50%');
    assert.ok(half > 0.3 && half < 0.7, `50%: ${half}`);
    assert.equal(share('Killed'), 0);
    assert.match(
      out,
      /the last new checkout was served \d+ ms after the kill was stored; 0 of [\d,]+ checkout requests failed\./,
    );
  }
  const project = /A project folder for the demo: (\S+)/.exec(out)?.[1];
  assert.ok(project);
  assert.deepEqual(processesIn(project), [], 'no process still runs in the demo folder');
});

/** Pids whose working folder or command line is inside `dir` (Linux /proc). */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd.startsWith(dir)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
