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
  /** Set for a deployment that is a rollback (`slipway rollback`): recovery, not a change. */
  readonly rollbackKind: string | null;
}

export interface DoraInput {
  readonly env: string;
  /** Every deployment of the app to `env` created at or after `since`, any order. */
  readonly deployments: readonly DoraDeployment[];
  /** When each release was registered (ISO), by id: lead time starts there (no commit time is recorded). */
  readonly releaseCreatedAt: ReadonlyMap<string, string>;
  readonly since: number;
  readonly now: number;
  /**
   * A succeeded change followed by the next change (another release) starting within this many
   * milliseconds of it going live counts as failed ("fixed"). 0 or absent: not counted.
   */
  readonly fixWithinMs?: number;
}

export interface DoraFailure {
  readonly deploymentId: string;
  /**
   * `rolled_back` or `failed` by the engine, `reverted` by a later rollback deployment, or `fixed`:
   * followed by another change within `fixWithinMs`.
   */
  readonly how: 'rolled_back' | 'failed' | 'reverted' | 'fixed';
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
  /** The "followed by a fix" window in force, or null when not counted. */
  readonly fixWithinMs: number | null;
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
const WEEK = 7 * DAY;
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

/** The Monday (UTC) starting the ISO week of `ms`, as a day number: the epoch was a Thursday. */
const weekOf = (ms: number) => Math.floor((ms + 3 * DAY) / WEEK);
const mondayOfWeek = (w: number) => new Date(w * WEEK - 3 * DAY).toISOString().slice(0, 10);

/** A deployment with its times parsed once (100,000 of them are read per report). */
interface Timed {
  readonly d: DoraDeployment;
  readonly created: number;
  readonly finished: number | null;
}

export function computeDora(input: DoraInput): DoraReport {
  const all: Timed[] = [];
  for (const d of input.deployments) {
    if (d.env !== input.env) continue;
    const created = Date.parse(d.createdAt);
    if (created < input.since || created > input.now) continue;
    all.push({ d, created, finished: d.finishedAt === null ? null : Date.parse(d.finishedAt) });
  }
  // Already in this order when read from the store (then the sort is one linear pass).
  all.sort((a, b) => a.created - b.created || (a.d.id < b.d.id ? -1 : a.d.id > b.d.id ? 1 : 0));
  const changes = all.filter((x) => x.d.rollbackKind === null && ENDED.has(x.d.status));
  const succeeded = changes.filter((x) => x.d.status === 'succeeded');
  const days = Math.max((input.now - input.since) / DAY, 1 / 24);

  const leads: number[] = [];
  for (const x of succeeded) {
    const registered = input.releaseCreatedAt.get(x.d.releaseId);
    if (registered && x.finished !== null) leads.push(x.finished - Date.parse(registered));
  }
  leads.sort((a, b) => a - b);

  // The first succeeded deployment (change or rollback) that starts at or after `after`: the
  // environment runs a working release again when it finishes. Binary search over start times.
  const successes = all.filter((x) => x.d.status === 'succeeded' && x.finished !== null);
  const nextSuccess = (after: number) => {
    let lo = 0;
    let hi = successes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((successes[mid] as Timed).created < after) lo = mid + 1;
      else hi = mid;
    }
    return successes[lo];
  };
  const rollbacksFrom = new Map<string, Timed[]>();
  for (const r of all) {
    if (r.d.rollbackKind === null || !r.d.fromReleaseId) continue;
    const list = rollbacksFrom.get(r.d.fromReleaseId);
    if (list) list.push(r);
    else rollbacksFrom.set(r.d.fromReleaseId, [r]);
  }
  const fixWithin = input.fixWithinMs ?? 0;
  const failures: DoraFailure[] = [];
  changes.forEach((x, i) => {
    const { d } = x;
    const next = changes[i + 1];
    if (d.status === 'rolled_back') {
      // The engine put the previous release back: recovered when the deployment ended.
      failures.push(failure(d, 'rolled_back', x.created, x.finished));
    } else if (d.status === 'failed') {
      failures.push(failure(d, 'failed', x.created, nextSuccess(x.created)?.finished ?? null));
    } else if (x.finished !== null) {
      const live = x.finished;
      // A succeeded change counts as failed when a rollback away from its release starts before
      // the next change: impact from when it went fully live until that rollback finished.
      const revert = rollbacksFrom
        .get(d.releaseId)
        ?.find((r) => r.created >= live && (!next || r.created < next.created));
      if (revert) {
        failures.push(failure(d, 'reverted', live, revert.d.status === 'succeeded' ? revert.finished : null));
      } else if (
        fixWithin > 0 &&
        next &&
        next.d.releaseId !== d.releaseId &&
        next.created >= live &&
        next.created - live <= fixWithin
      ) {
        // Followed by a fix: the next change, of another release, started within `fixWithin` of
        // this one going live. Impact until the first succeeded deployment from the fix on ended.
        failures.push(failure(d, 'fixed', live, nextSuccess(next.created)?.finished ?? null));
      }
    }
  });
  const recoveries = failures
    .map((f) => f.recoveryMs)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);

  const failed = new Set(failures.map((f) => f.deploymentId));
  const weeks = new Map<number, { deployments: number; failed: number }>();
  for (const x of changes) {
    const key = weekOf(x.created);
    let w = weeks.get(key);
    if (!w) {
      w = { deployments: 0, failed: 0 };
      weeks.set(key, w);
    }
    if (x.d.status === 'succeeded') w.deployments++;
    if (failed.has(x.d.id)) w.failed++;
  }

  return {
    env: input.env,
    since: new Date(input.since).toISOString(),
    until: new Date(input.now).toISOString(),
    days: round(days, 2),
    fixWithinMs: fixWithin > 0 ? fixWithin : null,
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
    weeks: [...weeks.entries()].sort(([a], [b]) => a - b).map(([w, c]) => ({ week: mondayOfWeek(w), ...c })),
  };
}

function failure(
  d: DoraDeployment,
  how: DoraFailure['how'],
  startedAt: number,
  recoveredAt: number | null | undefined,
): DoraFailure {
  const end = recoveredAt ?? null;
  return {
    deploymentId: d.id,
    how,
    startedAt: new Date(startedAt).toISOString(),
    recoveredAt: end === null ? null : new Date(end).toISOString(),
    recoveryMs: end === null ? null : end - startedAt,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
