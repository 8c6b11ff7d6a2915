/**
 * A hand-computed DORA fixture (hours after a base time), usable as plain data for the pure core
 * and seeded into a real store for the readers. The expected figures are in dora.test.ts.
 */

import { seedState } from '../server/testing.ts';
import type { Store } from '../store/contract.ts';

const H = 3_600_000;

/** Release → hours after base it was registered. */
export const FIXTURE_RELEASES: Readonly<Record<string, number>> = {
  r1: 10,
  r2: 24,
  r3: 96,
  r4: 168,
  r5: 216,
};

export interface FixtureDeployment {
  readonly name: string;
  readonly env: string;
  readonly release: string;
  readonly from: string | null;
  readonly status: 'succeeded' | 'rolled_back' | 'failed' | 'aborted' | 'running';
  readonly created: number;
  readonly finished: number | null;
  readonly rollback?: true;
}

/** Base is a Thursday 00:00 UTC in the tests that use weeks (2026-01-01). */
export const FIXTURE_DEPLOYMENTS: readonly FixtureDeployment[] = [
  {
    name: 'old',
    env: 'production',
    release: 'r1',
    from: null,
    status: 'succeeded',
    created: -30,
    finished: -29,
  },
  {
    name: 'd1',
    env: 'production',
    release: 'r1',
    from: null,
    status: 'succeeded',
    created: 11,
    finished: 12,
  },
  {
    name: 'd2',
    env: 'production',
    release: 'r2',
    from: 'r1',
    status: 'rolled_back',
    created: 34,
    finished: 34.5,
  },
  { name: 'st', env: 'staging', release: 'r2', from: null, status: 'succeeded', created: 30, finished: 31 },
  {
    name: 'd3',
    env: 'production',
    release: 'r3',
    from: 'r1',
    status: 'succeeded',
    created: 105,
    finished: 106,
  },
  // `slipway rollback` away from r3: d3 counts as a failed change.
  {
    name: 'rb',
    env: 'production',
    release: 'r1',
    from: 'r3',
    status: 'succeeded',
    created: 108,
    finished: 108 + 5 / 60,
    rollback: true,
  },
  {
    name: 'd4',
    env: 'production',
    release: 'r4',
    from: 'r1',
    status: 'failed',
    created: 174,
    finished: 174 + 10 / 60,
  },
  {
    name: 'ab',
    env: 'production',
    release: 'r4',
    from: 'r1',
    status: 'aborted',
    created: 200,
    finished: 200.5,
  },
  {
    name: 'd5',
    env: 'production',
    release: 'r5',
    from: 'r1',
    status: 'succeeded',
    created: 216,
    finished: 217,
  },
  // An open failure: nothing succeeded after it.
  {
    name: 'd6',
    env: 'production',
    release: 'r5',
    from: 'r5',
    status: 'failed',
    created: 312,
    finished: 312.2,
  },
  {
    name: 'live',
    env: 'production',
    release: 'r5',
    from: 'r5',
    status: 'running',
    created: 320,
    finished: null,
  },
];

/** Seeds the fixture into a store whose clock is `clock.ms`; returns fixture name → deployment id. */
export async function seedDoraFixture(
  store: Store,
  clock: { ms: number },
  base: number,
  app = 'shop',
): Promise<Map<string, string>> {
  const releases = new Map<string, { id: string; version: string; digest: string }>();
  for (const [name, hours] of Object.entries(FIXTURE_RELEASES)) {
    clock.ms = base + hours * H;
    const { release } = await store.putRelease({
      app,
      version: `1.0.${name.slice(1)}`,
      digest: `sha256:${name.slice(1).repeat(64)}`,
      commit: null,
      ci: 'passed',
      createdBy: 'ci',
      files: 1,
      bytes: 1,
      notes: null,
    });
    releases.set(name, release);
  }
  const ids = new Map<string, string>();
  for (const f of FIXTURE_DEPLOYMENTS) {
    const release = releases.get(f.release) as { id: string; version: string; digest: string };
    clock.ms = base + f.created * H;
    const state = {
      ...seedState(app, f.env, release),
      ...(f.rollback && { rollback: { reason: 'errors', by: 'alice', kind: 'switch' as const } }),
    };
    const d = await store.createDeployment({
      app,
      env: f.env,
      releaseId: release.id,
      fromReleaseId: f.from ? (releases.get(f.from)?.id ?? null) : null,
      strategy: 'canary',
      createdBy: 'alice',
      state,
      status: 'running',
    });
    if (f.finished !== null) {
      clock.ms = base + f.finished * H;
      const ok = await store.updateDeployment(d.id, d.revision, {
        status: f.status,
        finishedAt: new Date(clock.ms).toISOString(),
      });
      if (!ok) throw new Error(`fixture: could not finish ${f.name}`);
    }
    ids.set(f.name, d.id);
  }
  return ids;
}
