/**
 * DORA's four keys over one app's deployments to one environment, computed from what the store
 * recorded. Pure: the caller reads deployments and releases, this decides. Every definition here is
 * the one the README documents ("DORA metrics"); change both together.
 */

/** What DORA needs of a deployment (a subset of the stored one). */
export interface DoraDeployment {
  readonly id: string;
  readonly env: string;
  readonly releaseId: string;
  readonly fromReleaseId: string | null;
  readonly status: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  /** True for a deployment that is a rollback (`slipway rollback`): recovery, not a change. */
  readonly isRollback: boolean;
}

export interface DoraInput {
  readonly env: string;
  /** Every deployment of the app to `env` created at or after `since`, any order. */
  readonly deployments: readonly DoraDeployment[];
  /** When each release was registered (ISO), by id: lead time starts there (no commit time is recorded). */
  readonly releaseCreatedAt: ReadonlyMap<string, string>;
  readonly since: number;
  readonly now: number;
}

export interface DoraFailure {
  readonly deploymentId: string;
  /** `rolled_back` or `failed` by the engine, or `reverted` by a later rollback deployment. */
  readonly how: 'rolled_back' | 'failed' | 'reverted';
  readonly startedAt: string;
  /** When the environment was back on a working release; null while the failure is open. */
  readonly recoveredAt: string | null;
  readonly recoveryMs: number | null;
}

export interface DoraReport {
  readonly env: string;
  readonly since: string;
  readonly until: string;
  readonly days: number;
  /** Changes (not rollbacks) that reached `succeeded`, and their rate. */
  readonly deployments: number;
  readonly perDay: number;
  readonly perWeek: number;
  readonly leadTime: {
    readonly count: number;
    readonly medianMs: number | null;
    readonly p90Ms: number | null;
  };
  /** Changes that ended (succeeded, rolled back or failed) and how many of them failed. */
  readonly changeFailure: { readonly changes: number; readonly failed: number; readonly rate: number | null };
  readonly recovery: {
    readonly recovered: number;
    readonly open: number;
    readonly medianMs: number | null;
  };
  readonly failures: readonly DoraFailure[];
  /** Per ISO week (Monday, UTC): succeeded changes and failed changes. */
  readonly weeks: readonly { readonly week: string; readonly deployments: number; readonly failed: number }[];
}

const DAY = 86_400_000;
const ENDED = new Set(['succeeded', 'rolled_back', 'failed']);

/** The nearest-rank percentile of sorted numbers; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

/** The median (mean of the middle two for an even count); null for none. */
export function median(sorted: readonly number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function mondayOf(iso: string): string {
  const d = new Date(iso);
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - back))
    .toISOString()
    .slice(0, 10);
}

// Stored times are ISO UTC strings of one format: they sort as text; parsed only for arithmetic.
const t = (iso: string) => Date.parse(iso);

export function computeDora(input: DoraInput): DoraReport {
  const all = input.deployments
    .filter((d) => d.env === input.env && t(d.createdAt) >= input.since && t(d.createdAt) <= input.now)
    .slice()
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  const changes = all.filter((d) => !d.isRollback && ENDED.has(d.status));
  const succeeded = changes.filter((d) => d.status === 'succeeded');
  const days = Math.max((input.now - input.since) / DAY, 1 / 24);

  const leads = succeeded
    .map((d) => {
      const registered = input.releaseCreatedAt.get(d.releaseId);
      return registered && d.finishedAt ? t(d.finishedAt) - t(registered) : null;
    })
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);

  // The first succeeded deployment (change or rollback) that starts after `after`: the environment
  // runs a working release again when it finishes. Binary search: 100,000 deployments stay linear.
  const successes = all.filter((d) => d.status === 'succeeded' && d.finishedAt !== null);
  const nextSuccess = (after: number) => {
    let lo = 0;
    let hi = successes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t((successes[mid] as DoraDeployment).createdAt) < after) lo = mid + 1;
      else hi = mid;
    }
    return successes[lo];
  };
  const rollbacksFrom = new Map<string, DoraDeployment[]>();
  for (const r of all)
    if (r.isRollback && r.fromReleaseId)
      rollbacksFrom.set(r.fromReleaseId, [...(rollbacksFrom.get(r.fromReleaseId) ?? []), r]);
  const failures: DoraFailure[] = [];
  changes.forEach((d, i) => {
    const nextChange = changes[i + 1];
    if (d.status === 'rolled_back') {
      // The engine put the previous release back: recovered when the deployment ended.
      failures.push(failure(d, 'rolled_back', d.createdAt, d.finishedAt));
    } else if (d.status === 'failed') {
      const fix = nextSuccess(t(d.createdAt));
      failures.push(failure(d, 'failed', d.createdAt, fix?.finishedAt ?? null));
    } else if (d.finishedAt) {
      // A succeeded change counts as failed when a rollback away from its release starts before
      // the next change: impact from when it went fully live until that rollback finished.
      const revert = (rollbacksFrom.get(d.releaseId) ?? []).find(
        (r) =>
          t(r.createdAt) >= t(d.finishedAt as string) &&
          (!nextChange || t(r.createdAt) < t(nextChange.createdAt)),
      );
      if (revert)
        failures.push(
          failure(d, 'reverted', d.finishedAt, revert.status === 'succeeded' ? revert.finishedAt : null),
        );
    }
  });
  const recoveries = failures
    .map((f) => f.recoveryMs)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);

  const failed = new Set(failures.map((f) => f.deploymentId));
  const weeks = new Map<string, { deployments: number; failed: number }>();
  for (const d of changes) {
    const w = weeks.get(mondayOf(d.createdAt)) ?? { deployments: 0, failed: 0 };
    if (d.status === 'succeeded') w.deployments++;
    if (failed.has(d.id)) w.failed++;
    weeks.set(mondayOf(d.createdAt), w);
  }

  return {
    env: input.env,
    since: new Date(input.since).toISOString(),
    until: new Date(input.now).toISOString(),
    days: round(days, 2),
    deployments: succeeded.length,
    perDay: round(succeeded.length / days, 3),
    perWeek: round((succeeded.length / days) * 7, 3),
    leadTime: { count: leads.length, medianMs: median(leads), p90Ms: percentile(leads, 90) },
    changeFailure: {
      changes: changes.length,
      failed: failures.length,
      rate: changes.length === 0 ? null : round(failures.length / changes.length, 4),
    },
    recovery: {
      recovered: recoveries.length,
      open: failures.length - recoveries.length,
      medianMs: median(recoveries),
    },
    failures,
    weeks: [...weeks.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([week, w]) => ({ week, ...w })),
  };
}

function failure(
  d: DoraDeployment,
  how: DoraFailure['how'],
  startedAt: string,
  recoveredAt: string | null,
): DoraFailure {
  return {
    deploymentId: d.id,
    how,
    startedAt,
    recoveredAt,
    recoveryMs: recoveredAt === null ? null : t(recoveredAt) - t(startedAt),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
