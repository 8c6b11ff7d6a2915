/**
 * The demo's story as `npm run demo` tells it, shared by the demo's two suites (folders and
 * containers): run it, check the figures it prints, and find what it left running.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/testing.ts';

export async function demo(...args: string[]): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'scripts/demo.ts'), ...args],
    { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } },
  );
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, out);
  return out;
}

/** The story's figures, the same on processes and on containers. */
export function assertStory(out: string): void {
  // Staging's e2e and performance steps: the first release has nothing to compare with.
  assert.match(out, /✓ checks \(check e2e passed in [\d.]+ s\)/);
  assert.match(out, /nothing to compare with \(the first release of staging\)/);
  assert.match(out, /✓ performance \(performance against 1\.0\.0 \(measured side by side\): p50 /);
  assert.match(out, /Switched to 2\.0\.0: 0 of [\d,]+ requests failed during the deploy\./);
  assert.match(out, /Rolled back in [\d.]+ ms; 0 of [\d,]+ requests failed\./);
  assert.match(out, /2\.0\.0 is live on production; 0 of [\d,]+ requests failed along the way\./);
  assert.match(
    out,
    // The fixed trigger or a sequential test beside it, whichever decides first.
    /✗ shop 2\.1\.0 was rolled back on production in [\d.]+s: error-rate( is [\d.]+%, above 5%|-sequential: \d+ errors .*above 5%|-vs-stable: \d+ errors)/,
  );
  assert.match(
    out,
    /Rolled back on its own\. Users saw \d+ error answers from 2\.1\.0 .*; 0 requests failed for any other reason\./,
  );
  // A post-mortem draft for every rollback: the switch on staging and the canary on production.
  assert.match(
    out,
    /Post-mortem draft \(`slipway postmortem dep-\w+`\): # Post-mortem \(draft\): shop 2\.0\.0 on staging, taken back by a rollback/,
  );
  assert.match(
    out,
    /Post-mortem draft \(`slipway postmortem dep-\w+`\): # Post-mortem \(draft\): shop 2\.1\.0 on production, rolled back/,
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
  if (out.includes('Skipping the database part (migrations, backups, the contract phase): container mode')) {
    // Image releases carry no migrations folder in the demo: its database part runs on folders.
  } else if (out.includes('Skipping the database part')) {
    // Without PostgreSQL the demo still runs the rest; under CI the database part must run.
    assert.ok(!process.env.CI, `CI must have PostgreSQL for the demo's database part:\n${out}`);
    assert.match(
      out,
      /Skipping the database part \(migrations, backups, the contract phase\): no PostgreSQL at /,
    );
  } else {
    // Production keeps `after: staging`: its loopback database is allowed by name, and each
    // production preflight says so.
    assert.match(
      out,
      /drift from staging \(hint\): production DATABASE_URL \([^)]*\) points at this machine \(loopback\), allowed by environments\.production\.config\.allowLoopback/,
    );
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
}

/** Pids whose working folder or command line is inside `dir` (Linux /proc). */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      // The engine and registry of container mode are started with paths in the demo folder.
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cwd.startsWith(dir) || cmdline.includes(dir)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
