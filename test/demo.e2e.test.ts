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

test('the demo deploys, switches, rolls back by hand and on its own, under traffic, and cleans up', async () => {
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
  if (out.includes('Skipping the database part')) {
    // Without PostgreSQL the demo still runs the rest; under CI the database part must run.
    assert.ok(!process.env.CI, `CI must have PostgreSQL for the demo's database part:\n${out}`);
    assert.match(
      out,
      /Skipping the database part \(migrations, backups, the contract phase\): no PostgreSQL at /,
    );
  } else {
    assert.match(out, /✓ migrate \(staging: applied 0001_products\.sql \(expand, \d+ ms\) after backup \S+/);
    assert.match(
      out,
      /✓ migrate \(production: applied 0002_products_stock\.sql \(expand, \d+ ms\) after backup \S+ .*expand only: a rollback is a plain traffic switch/,
    );
    assert.match(
      out,
      /slipway adds: the database keeps 0002_products_stock\.sql \(expand migrations of 2\.0\.0\): 1\.0\.0 runs on the expanded schema, so no database restore is needed\./,
    );
    assert.match(out, /held for the contract phase: 0003_drop_products_note\.sql/);
    assert.match(
      out,
      /staging's live release 3\.0\.0 holds 0003_drop_products_note\.sql \(contract\); may run/,
    );
    assert.match(out, /staging: applied 0003_drop_products_note\.sql \(contract, \d+ ms\) after backup/);
    assert.match(out, /Contracted: products\.note is gone from staging; 0 of [\d,]+ requests failed/);
    assert.match(out, /Restored and verified table by table; \d+ of [\d,]+ requests failed/);
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
