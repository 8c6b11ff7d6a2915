/**
 * DORA's four keys against a hand-computed fixture (src/metrics/testing.ts), in the pure core and
 * read back from real SQLite and PostgreSQL stores: the same figures both ways.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { openStore } from '../store/factory.ts';
import { BACKENDS } from '../store/testing.ts';
import { computeDora, type DoraDeployment, median, percentile } from './dora.ts';
import { doraFromStore } from './dora-read.ts';
import { FIXTURE_DEPLOYMENTS, FIXTURE_RELEASES, seedDoraFixture } from './testing.ts';

const H = 3_600_000;
const M = 60_000;
const BASE = Date.parse('2026-01-01T00:00:00.000Z'); // a Thursday
const NOW = BASE + 14 * 24 * H;
const at = (hours: number) => new Date(BASE + hours * H).toISOString();

const fixture: DoraDeployment[] = FIXTURE_DEPLOYMENTS.map((f) => ({
  id: f.name,
  env: f.env,
  releaseId: f.release,
  fromReleaseId: f.from,
  status: f.status,
  createdAt: at(f.created),
  finishedAt: f.finished === null ? null : at(f.finished),
  rollbackKind: f.rollback ? 'switch' : null,
}));
const registered = new Map(Object.entries(FIXTURE_RELEASES).map(([r, h]) => [r, at(h)]));

// By hand: succeeded changes d1, d3, d5 (the rollback "rb", the aborted, the running, the staging
// and the one before the period do not count). Leads 2 h, 10 h, 1 h. Changes that ended: d1..d6 = 6;
// failed: d2 (rolled back), d3 (rolled back by `slipway rollback` before the next change), d4 and d6
// (failed) = 4. Recovery: d2 30 min; d3 from live (106 h) to the rollback's end (108 h 5 min) = 125 min;
// d4 from its start (174 h) to d5's end (217 h) = 43 h; d6 open.
const EXPECTED = {
  env: 'production',
  days: 14,
  fixWithinMs: null,
  deployments: 3,
  perDay: 0.214,
  perWeek: 1.5,
  leadTime: { count: 3, medianMs: 2 * H, p90Ms: 10 * H },
  changeFailure: { changes: 6, failed: 4, rate: 0.6667 },
  recovery: { recovered: 3, open: 1, medianMs: 125 * M },
};

describe('DORA four keys (pure)', () => {
  test('match the hand-computed fixture', () => {
    const r = computeDora({
      env: 'production',
      deployments: fixture,
      releaseCreatedAt: registered,
      since: BASE,
      now: NOW,
    });
    const { since: _s, until: _u, failures, weeks, ...figures } = r;
    assert.deepEqual(figures, EXPECTED);
    assert.deepEqual(
      failures.map((f) => [f.deploymentId, f.how, f.recoveryMs]),
      [
        ['d2', 'rolled_back', 30 * M],
        ['d3', 'reverted', 125 * M],
        ['d4', 'failed', 43 * H],
        ['d6', 'failed', null],
      ],
    );
    assert.deepEqual(weeks, [
      { week: '2025-12-29', deployments: 1, failed: 1 },
      { week: '2026-01-05', deployments: 2, failed: 2 },
      { week: '2026-01-12', deployments: 0, failed: 1 },
    ]);
  });

  test('no deployments: zero frequency and no rates rather than NaN', () => {
    const r = computeDora({
      env: 'production',
      deployments: [],
      releaseCreatedAt: new Map(),
      since: BASE,
      now: NOW,
    });
    assert.equal(r.deployments, 0);
    assert.equal(r.perDay, 0);
    assert.deepEqual(r.leadTime, { count: 0, medianMs: null, p90Ms: null });
    assert.deepEqual(r.changeFailure, { changes: 0, failed: 0, rate: null });
    assert.deepEqual(r.recovery, { recovered: 0, open: 0, medianMs: null });
    assert.deepEqual(r.weeks, []);
  });

  test('an open failure only: rate 1, nothing recovered, no median', () => {
    const only = fixture.filter((d) => d.id === 'd6');
    const r = computeDora({
      env: 'production',
      deployments: only,
      releaseCreatedAt: registered,
      since: BASE,
      now: NOW,
    });
    assert.deepEqual(r.changeFailure, { changes: 1, failed: 1, rate: 1 });
    assert.deepEqual(r.recovery, { recovered: 0, open: 1, medianMs: null });
  });

  test('a rollback after the next change no longer blames the earlier one', () => {
    const shifted = fixture.map((d) =>
      d.id === 'rb' ? { ...d, createdAt: at(180), finishedAt: at(181) } : d,
    );
    const r = computeDora({
      env: 'production',
      deployments: shifted,
      releaseCreatedAt: registered,
      since: BASE,
      now: NOW,
    });
    assert.equal(
      r.failures.some((f) => f.deploymentId === 'd3'),
      false,
    );
  });

  // By hand, with fixWithin 24 h: d1 went live at 12 h and the next change, d2 (another release),
  // started at 34 h, 22 h later: d1 counts as failed ("fixed"); recovery from 12 h to the end of the
  // first succeeded deployment starting at or after 34 h (d3, 106 h) = 94 h. d3 is reverted first;
  // d5 (live 217 h) is followed by d6 at 312 h, 95 h later: not a fix. 5 of 6 failed; recoveries
  // 30 min, 125 min, 43 h, 94 h: median (125 min + 43 h) / 2.
  test('followed by a fix within the window: the earlier change failed', () => {
    const r = computeDora({
      env: 'production',
      deployments: fixture,
      releaseCreatedAt: registered,
      since: BASE,
      now: NOW,
      fixWithinMs: 24 * H,
    });
    assert.equal(r.fixWithinMs, 24 * H);
    assert.deepEqual(r.changeFailure, { changes: 6, failed: 5, rate: 0.8333 });
    assert.deepEqual(r.recovery, { recovered: 4, open: 1, medianMs: (125 * M + 43 * H) / 2 });
    assert.deepEqual(
      r.failures.find((f) => f.deploymentId === 'd1'),
      { deploymentId: 'd1', how: 'fixed', startedAt: at(12), recoveredAt: at(106), recoveryMs: 94 * H },
    );
    // The boundary is inclusive: exactly 22 h still counts, 22 h less a millisecond does not.
    const exact = computeDora({
      env: 'production',
      deployments: fixture,
      releaseCreatedAt: registered,
      since: BASE,
      now: NOW,
      fixWithinMs: 22 * H,
    });
    assert.equal(exact.changeFailure.failed, 5);
    const short = computeDora({
      env: 'production',
      deployments: fixture,
      releaseCreatedAt: registered,
      since: BASE,
      now: NOW,
      fixWithinMs: 22 * H - 1,
    });
    assert.equal(short.changeFailure.failed, 4);
    // The same release deployed again is not a fix of itself.
    const same = fixture.map((d) => (d.id === 'd2' ? { ...d, releaseId: 'r1' } : d));
    const redeploy = computeDora({
      env: 'production',
      deployments: same,
      releaseCreatedAt: registered,
      since: BASE,
      now: NOW,
      fixWithinMs: 24 * H,
    });
    assert.equal(
      redeploy.failures.some((f) => f.deploymentId === 'd1'),
      false,
    );
  });

  test('weeks are ISO weeks starting Monday (UTC), on both sides of a week boundary', () => {
    const monday = Date.parse('2026-01-05T00:00:00.000Z');
    const d = (id: string, ms: number): DoraDeployment => ({
      id,
      env: 'production',
      releaseId: 'r1',
      fromReleaseId: null,
      status: 'succeeded',
      createdAt: new Date(ms).toISOString(),
      finishedAt: new Date(ms + M).toISOString(),
      rollbackKind: null,
    });
    const r = computeDora({
      env: 'production',
      deployments: [d('sun', monday - 1), d('mon', monday), d('mon2', monday + 7 * 24 * H - 1)],
      releaseCreatedAt: new Map(),
      since: monday - 7 * 24 * H,
      now: monday + 8 * 24 * H,
    });
    assert.deepEqual(r.weeks, [
      { week: '2025-12-29', deployments: 1, failed: 0 },
      { week: '2026-01-05', deployments: 2, failed: 0 },
    ]);
  });

  test('times not written by toISOString (no milliseconds, an offset, Feb 29) read as Date.parse reads them', () => {
    // The store's own times are read by hand (the fast path); anything else must give what Date gives.
    const forms = [
      (iso: string) => iso.replace('.000Z', 'Z'),
      (iso: string) => iso.replace('Z', '+00:00'),
      (iso: string) => iso.replace('T', ' '),
    ];
    const input = {
      env: 'production',
      releaseCreatedAt: registered,
      since: BASE,
      now: NOW,
      fixWithinMs: 3 * H,
    };
    const canonical = computeDora({ ...input, deployments: fixture });
    for (const form of forms) {
      const other = fixture.map((d) => ({
        ...d,
        createdAt: form(d.createdAt),
        finishedAt: d.finishedAt === null ? null : form(d.finishedAt),
      }));
      const r = computeDora({ ...input, deployments: other });
      assert.deepEqual(r, canonical, form('2026-01-01T00:00:00.000Z'));
    }
    // Not a date at all in February 2026: Date rolls it over to March 1st, and so does the report.
    const feb29 = computeDora({
      ...input,
      since: Date.parse('2026-02-20T00:00:00.000Z'),
      now: Date.parse('2026-03-10T00:00:00.000Z'),
      deployments: [
        {
          ...(fixture[1] as DoraDeployment),
          createdAt: '2026-02-29T00:00:00.000Z',
          finishedAt: '2026-02-29T01:00:00.000Z',
        },
      ],
    });
    assert.equal(feb29.leadTime.count, 1);
    assert.deepEqual(feb29.weeks, [{ week: '2026-02-23', deployments: 1, failed: 0 }]);
  });

  test('median and nearest-rank percentile', () => {
    assert.equal(median([1, 2, 3, 4]), 2.5);
    assert.equal(median([5]), 5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
    assert.equal(percentile([], 50), null);
  });
});

for (const backend of BACKENDS) {
  describe(`DORA read from the store (${backend.name})`, async () => {
    const skip = await backend.skip();
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups) await c();
    });
    test('the same figures as the pure fixture', { skip }, async () => {
      const { url, cleanup } = await backend.fresh();
      cleanups.push(cleanup);
      const clock = { ms: BASE };
      const store = await openStore(url, process.cwd(), { now: () => new Date(clock.ms) });
      try {
        await seedDoraFixture(store, clock, BASE);
        const r = await doraFromStore(store, {
          app: 'shop',
          env: 'production',
          sinceMs: 14 * 24 * H,
          now: NOW,
        });
        const { since: _s, until: _u, failures, weeks: _w, ...figures } = r;
        assert.deepEqual(figures, EXPECTED);
        assert.equal(failures.length, 4);
        // The same, from the pure core over the rows as listDeploymentFacts gave them.
        const facts = await store.listDeploymentFacts('shop', 'production', new Date(BASE).toISOString());
        const pure = computeDora({ env: 'production', ...facts, since: BASE, now: NOW });
        assert.deepEqual(pure.failures, failures);
        // A period with no deployment at all (SQLite's json_group_array of none, PostgreSQL's no rows).
        const none = await store.listDeploymentFacts('shop', 'production', new Date(NOW + H).toISOString());
        assert.deepEqual([none.deployments, none.releaseCreatedAt.size], [[], 0]);
      } finally {
        await store.close();
      }
    });
  });
}
