/**
 * Post-mortem drafts of a real rolled-back deployment: real agent and instances of the example
 * app, a canary whose guard (scripted: the analysis engine has its own suites) fails at 50 %, then
 * `slipway postmortem` on the store that run wrote.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli } from '../../test/cli-helpers.ts';
import { TinyProxyRouter } from '../agent/tiny-proxy.ts';
import { startForTest } from '../app/testing.ts';
import type { Deployment } from '../domain/types.ts';
import { Executor } from '../engine/executor.ts';
import type { Guard, GuardResult } from '../engine/ports.ts';
import { systemClock } from '../engine/ports.ts';
import { createSmokeChecker } from '../engine/smoke.ts';
import { type Harness, startHarness } from '../engine/testing.ts';
import { configDiff } from './changes.ts';
import { changesSection } from './draft.ts';
import { postmortemMarkdown } from './read.ts';

const CONFIG = `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  staging:
    strategy:
      canary:
        steps: [{ weight: 50, pause: 300ms }, { weight: 100 }]
    watch: 300ms
`;

const FAIL: GuardResult = {
  verdict: 'fail',
  reason: 'error rate 12.0% above 5.0%',
  rule: 'error-rate',
  observed: 0.12,
  threshold: 0.05,
  warnings: [],
};

describe('post-mortem draft of a real rolled-back deployment', () => {
  let h: Harness;
  let good: Deployment;
  let bad: Deployment;
  const guard: Guard & { verdict: GuardResult } = {
    intervalMs: () => 50,
    verdict: { verdict: 'pass', reason: 'all rules passed', warnings: [] },
    async check() {
      return this.verdict;
    },
  };

  before(async () => {
    h = await startHarness(new TinyProxyRouter());
    writeFileSync(join(h.dir, 'slipway.yaml'), CONFIG);
    const executor = new Executor({
      store: h.store,
      dataPlane: h.agent,
      guard,
      smoke: createSmokeChecker(),
      clock: systemClock,
      pollMs: 20,
    });
    const start = async (version: string) =>
      startForTest({
        store: h.store,
        agent: h.agent,
        executor,
        config: h.config(CONFIG),
        env: 'staging',
        release: await h.release(version),
        user: 'alice',
        dataDir: h.dataDir,
        now: Date.now(),
      });
    good = await start('1.0.0');
    assert.equal((await executor.run(good.id)).status, 'succeeded');
    // Around the bad one: a flag turned on in staging, and a migration recorded in the audit log.
    await h.store.flags.putFlags([
      {
        app: 'shop',
        env: 'staging',
        key: 'new-checkout',
        definition: {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'on',
          targeting: {},
        },
        action: 'set',
        by: 'alice',
        reason: 'on for everyone',
      },
    ]);
    bad = await start('2.0.0');
    await h.store.appendAudit({
      actor: 'alice',
      action: 'migrations.applied',
      target: 'shop/staging',
      data: { release: '2.0.0', phase: 'expand', files: ['0002_products_stock.sql'], ms: 12, backup: 'b1' },
    });
    guard.verdict = FAIL;
    assert.equal((await executor.run(bad.id)).status, 'rolled_back');
  });
  after(async () => h?.close());

  test('names the change, the release it replaced, the guard numbers, the time line and the impact', async () => {
    const md = await postmortemMarkdown(h.store, 'shop', bad.id);
    assert.match(md, /^# Post-mortem \(draft\): shop 2\.0\.0 on staging, rolled back/);
    assert.match(md, /\*\*What changed:\*\* release 2\.0\.0 \(sha256:/);
    assert.match(md, /\*\*Replacing:\*\* release 1\.0\.0 \(sha256:/);
    assert.match(md, /Recorded reason: .*error rate 12\.0% above 5\.0%/);
    assert.match(md, /\*\*Rule:\*\* error-rate/);
    assert.match(md, /\*\*Observed:\*\* 0\.12 \(12%\)/);
    assert.match(md, /\*\*Threshold:\*\* 0\.05 \(5%\)/);
    assert.match(md, /\*\*Duration of impact:\*\* [\dhms ]+, from .* \(the new release first took traffic\)/);
    assert.match(md, /at most 50% of traffic reached the new release/);
    assert.match(md, /\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| \+\S* \| 50% \|/);
    assert.match(md, /deployment created/);
    assert.match(md, /## Questions for the team/);
    // What changed besides the code: config (the same here), the flag, the migration.
    assert.match(md, /- \*\*Config:\*\* the same keys and values as the release it replaced\./);
    assert.match(md, /- `new-checkout` version 1 \(set\) at [\d-]+ [\d:]+ UTC: on for everyone/);
    assert.match(md, /- applied at [\d-]+ [\d:]+ UTC, release 2\.0\.0: `0002_products_stock\.sql`/);
  });

  test('config differences name the keys, never their values', () => {
    const diff = configDiff({ A: '1', B: 'secret-new', D: 'x' }, { A: '1', B: 'secret-old', C: 'y' });
    assert.deepEqual(diff, { added: ['D'], removed: ['C'], changed: ['B'] });
    const text = changesSection('production', { config: diff, flags: [], migrations: [] }).join('\n');
    assert.match(text, /- \*\*Config:\*\* `B` changed; `D` added; `C` removed \(names only/);
    assert.doesNotMatch(text, /secret-|\by\b|\bx\b/);
    assert.match(text, /Feature flags on production:\*\* none changed/);
    assert.match(text, /Migrations:\*\* none ran during this deployment/);
  });

  test('blameless: the deployer appears only as who started it, never as a cause', async () => {
    const md = await postmortemMarkdown(h.store, 'shop', bad.id);
    const mentions = md.split('\n').filter((l) => l.includes('alice'));
    assert.deepEqual(mentions, [mentions.find((l) => l.startsWith('- **Started:**'))]);
    assert.match(mentions[0] as string, /who started it: alice\)$/);
    assert.doesNotMatch(md, /\b(fault|blame[sd]?|caused by|human error|mistake by|negligent)\b/i);
  });

  test('the CLI prints it; a succeeded or unknown deployment is refused with the way to find one', async () => {
    const r = await cli(h.dir, 'postmortem', bad.id);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# Post-mortem \(draft\): shop 2\.0\.0 on staging/);
    const ok = await cli(h.dir, 'postmortem', good.id);
    assert.equal(ok.code, 2);
    assert.match(
      ok.stderr,
      /is succeeded; post-mortem drafts are written for rolled-back or failed deployments/,
    );
    const none = await cli(h.dir, 'postmortem', 'dep-nope');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no deployment dep-nope of shop; `slipway history` lists them/);
  });
});
