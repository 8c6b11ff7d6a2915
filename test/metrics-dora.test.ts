/**
 * `slipway metrics dora` and `GET /api/metrics/dora` over the hand-computed fixture seeded into a
 * real store (figures as in src/metrics/dora.test.ts), plus their refusals of bad input.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { seedDoraFixture } from '../src/metrics/testing.ts';
import { startTestServer } from '../src/server/testing.ts';
import { openStore } from '../src/store/factory.ts';
import { BACKENDS } from '../src/store/testing.ts';
import { tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const H = 3_600_000;
const M = 60_000;
// Just inside a 14d window: the fixture's deployment from before its period ("old", 30 h earlier)
// falls out of --since 14d and into the default 90 days.
const BASE = Date.now() - 14 * 24 * H + 5 * M;

const CONFIG = `app: shop
run: { command: node server.js }
environments:
  staging: {}
  production: { after: staging }
`;

describe('slipway metrics dora', () => {
  const dir = tempDir('slipway-dora-cli-');
  after(() => dir.cleanup());

  test('prints the four keys of production by default, as a table and as JSON', async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    const clock = { ms: BASE };
    const store = await openStore(undefined, dir.path, { now: () => new Date(clock.ms) });
    try {
      await seedDoraFixture(store, clock, BASE);
    } finally {
      await store.close();
    }
    const json = await cli(dir.path, 'metrics', 'dora', '--since', '14d', '--json');
    assert.equal(json.code, 0, json.stderr);
    const r = JSON.parse(json.stdout);
    assert.equal(r.env, 'production');
    assert.equal(r.deployments, 3);
    assert.deepEqual(r.leadTime, { count: 3, medianMs: 2 * H, p90Ms: 10 * H });
    assert.deepEqual(r.changeFailure, { changes: 6, failed: 4, rate: 0.6667 });
    assert.deepEqual(r.recovery, { recovered: 3, open: 1, medianMs: 125 * M });

    // The default period (90 days) also holds "old": one more succeeded change.
    const wide = await cli(dir.path, 'metrics', 'dora', '--json');
    assert.deepEqual(JSON.parse(wide.stdout).changeFailure, { changes: 7, failed: 4, rate: 0.5714 });

    const text = await cli(dir.path, 'metrics', 'dora', '--since', '14d');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /change failure rate\s+66\.7%\s+4 of 6 changes/);
    assert.match(text.stdout, /lead time \(median\)\s+2h\s+p90 10h over 3; from release registration/);
    assert.match(text.stdout, /recovery time \(median\)\s+2h 5m\s+3 recovered, 1 open/);
    assert.match(text.stdout, /^open: \S+ \(failed\) since /m);

    // Followed by a fix within 24 h (the flag, then slipway.yaml's dora.fixWithin; 0 turns it off).
    const fixed = await cli(dir.path, 'metrics', 'dora', '--since', '14d', '--fix-within', '24h', '--json');
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.deepEqual(JSON.parse(fixed.stdout).changeFailure, { changes: 6, failed: 5, rate: 0.8333 });
    writeFileSync(join(dir.path, 'slipway.yaml'), `${CONFIG}dora: { fixWithin: 24h }\n`);
    const fromYaml = await cli(dir.path, 'metrics', 'dora', '--since', '14d');
    assert.match(fromYaml.stdout, /change failure rate\s+83\.3%\s+5 of 6 changes; fixed within 1d counts/);
    const off = await cli(dir.path, 'metrics', 'dora', '--since', '14d', '--fix-within', '0', '--json');
    assert.deepEqual(JSON.parse(off.stdout).changeFailure, { changes: 6, failed: 4, rate: 0.6667 });
    writeFileSync(join(dir.path, 'slipway.yaml'), `${CONFIG}dora: { fixWithin: soon }\n`);
    const broken = await cli(dir.path, 'metrics', 'dora');
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /slipway\.yaml:\d+:\d+: dora\.fixWithin: .*"soon"/);

    const staging = await cli(dir.path, 'metrics', 'dora', '--env', 'staging', '--json');
    assert.equal(JSON.parse(staging.stdout).deployments, 1);
  });

  test('an empty period says so, with no made-up rates', async () => {
    const r = await cli(dir.path, 'metrics', 'dora', '--since', '1h');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /change failure rate\s+-\s+0 of 0 changes/);
    assert.match(r.stdout, /no finished deployments to production in this period/);
  });

  test('refuses an unknown environment and a bad duration, naming them', async () => {
    const env = await cli(dir.path, 'metrics', 'dora', '--env', 'prod');
    assert.equal(env.code, 2);
    assert.match(env.stderr, /prod/);
    const since = await cli(dir.path, 'metrics', 'dora', '--since', 'soon');
    assert.equal(since.code, 2);
    assert.match(since.stderr, /--since.*soon/);
    assert.doesNotMatch(since.stderr + env.stderr, /at .*\.ts:\d+/);
  });
});

const backend = BACKENDS[0];
describe('GET /api/metrics/dora and /api/deployments/{id}/postmortem', () => {
  test('the same figures over HTTP; a reader of staging only may not read production', async () => {
    if (!backend) return;
    const server = await startTestServer(backend);
    try {
      const clock = { ms: BASE };
      // The server's store has the real clock; seed through a second handle with the fixture's clock.
      const seeded = await openStore(server.storeUrl, process.cwd(), { now: () => new Date(clock.ms) });
      const ids = await seedDoraFixture(seeded, clock, BASE).finally(() => seeded.close());
      const ok = await server.request('/api/metrics/dora?app=shop&env=production&since=14d', {
        token: server.admin,
      });
      assert.equal(ok.status, 200);
      const r = (await ok.json()) as {
        changeFailure: unknown;
        recovery: unknown;
        failures: { how: string; recoveryMs: number }[];
      };
      assert.deepEqual(r.changeFailure, { changes: 6, failed: 4, rate: 0.6667 });
      assert.deepEqual(r.recovery, { recovered: 3, open: 1, medianMs: 125 * M });
      assert.equal(r.failures.find((f) => f.how === 'reverted')?.recoveryMs, 125 * M);

      const fixed = await server.request(
        '/api/metrics/dora?app=shop&env=production&since=14d&fixWithin=24h',
        {
          token: server.admin,
        },
      );
      const f = (await fixed.json()) as {
        fixWithinMs: number;
        changeFailure: unknown;
        failures: { how: string }[];
      };
      assert.equal(f.fixWithinMs, 24 * 3_600_000);
      assert.deepEqual(f.changeFailure, { changes: 6, failed: 5, rate: 0.8333 });
      assert.equal(f.failures.filter((x) => x.how === 'fixed').length, 1);
      const badFix = await server.request('/api/metrics/dora?app=shop&env=production&fixWithin=-1h', {
        token: server.admin,
      });
      assert.equal(badFix.status, 400);
      assert.match(((await badFix.json()) as { error: { message: string } }).error.message, /fixWithin.*-1h/);

      const carol = await server.user('carol', [{ env: 'staging', role: 'viewer' }]);
      const denied = await server.request('/api/metrics/dora?app=shop&env=production', { token: carol });
      assert.equal(denied.status, 403);
      const bad = await server.request('/api/metrics/dora?app=shop&env=production&since=soon', {
        token: server.admin,
      });
      assert.equal(bad.status, 400);

      // The post-mortem draft of the rolled-back one, for readers of its environment only.
      const pm = await server.request(`/api/deployments/${ids.get('d2')}/postmortem`, {
        token: server.admin,
      });
      assert.equal(pm.status, 200);
      assert.match(
        ((await pm.json()) as { markdown: string }).markdown,
        /^# Post-mortem \(draft\): shop 1\.0\.2 on production, rolled back/,
      );
      // A succeeded change that `slipway rollback` took back has a draft too, with the rollback's reason.
      const reverted = await server.request(`/api/deployments/${ids.get('d3')}/postmortem`, {
        token: server.admin,
      });
      assert.equal(reverted.status, 200);
      const rmd = ((await reverted.json()) as { markdown: string }).markdown;
      assert.match(rmd, /^# Post-mortem \(draft\): shop 1\.0\.3 on production, taken back by a rollback/);
      assert.match(rmd, /Recorded reason: errors/);
      assert.match(rmd, /\| rollback started \(switch, deployment dep-\w+\): errors \|/);
      const hidden = await server.request(`/api/deployments/${ids.get('d2')}/postmortem`, { token: carol });
      assert.equal(hidden.status, 403);
      const fine = await server.request(`/api/deployments/${ids.get('d1')}/postmortem`, {
        token: server.admin,
      });
      assert.equal(fine.status, 400);
      assert.match(((await bad.json()) as { error: { message: string } }).error.message, /since.*soon/);
    } finally {
      await server.close();
    }
  });
});
