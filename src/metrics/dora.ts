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
  /** The same times as `toISOString` writes them (the stored text when it already is). */
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

/** Days in each month of a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Milliseconds of `s` when it is exactly as `toISOString` writes it (`YYYY-MM-DDTHH:MM:SS.sssZ`,
 * every field in range), else NaN. The store holds times in this form; reading them by hand costs a
 * fraction of `Date.parse`, which dominated a 90-day report (bench/dora.ts).
 */
function canonicalMs(s: string): number {
  if (s.length !== 24 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':')
    return Number.NaN;
  if (s[19] !== '.' || s[23] !== 'Z') return Number.NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 7);
  const day = digits(s, 8, 10);
  const hour = digits(s, 11, 13);
  const minute = digits(s, 14, 16);
  const second = digits(s, 17, 19);
  const milli = digits(s, 20, 23);
  if (year < 0 || milli < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return Number.NaN;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] as number))) return Number.NaN;
  return daysFromCivil(year, month, day) * DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + milli;
}

/** The decimal number in s[from, to), or -1 when a character there is not a digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** A time's milliseconds and its `toISOString` text; anything not canonical goes through `Date`. */
function readTime(s: string): { ms: number; iso: string } {
  const ms = canonicalMs(s);
  if (!Number.isNaN(ms)) return { ms, iso: s };
  const parsed = Date.parse(s);
  return { ms: parsed, iso: Number.isNaN(parsed) ? s : new Date(parsed).toISOString() };
}

/** Milliseconds of an ISO time, as `Date.parse` reads it. */
const timeMs = (s: string): number => {
  const ms = canonicalMs(s);
  return Number.isNaN(ms) ? Date.parse(s) : ms;
};

export function computeDora(input: DoraInput): DoraReport {
  const all: Timed[] = [];
  for (const d of input.deployments) {
    if (d.env !== input.env) continue;
    const created = readTime(d.createdAt);
    if (created.ms < input.since || created.ms > input.now) continue;
    const finished = d.finishedAt === null ? null : readTime(d.finishedAt);
    all.push({
      d,
      created: created.ms,
      finished: finished?.ms ?? null,
      createdAt: created.iso,
      finishedAt: finished?.iso ?? null,
    });
  }
  // Already in this order when read from the store (then the sort is one linear pass).
  all.sort((a, b) => a.created - b.created || (a.d.id < b.d.id ? -1 : a.d.id > b.d.id ? 1 : 0));
  const changes = all.filter((x) => x.d.rollbackKind === null && ENDED.has(x.d.status));
  const succeeded = changes.filter((x) => x.d.status === 'succeeded');
  const days = Math.max((input.now - input.since) / DAY, 1 / 24);

  const leads: number[] = [];
  for (const x of succeeded) {
    const registered = input.releaseCreatedAt.get(x.d.releaseId);
    if (registered && x.finished !== null) leads.push(x.finished - timeMs(registered));
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
      failures.push(failure(x, 'rolled_back', 'created', x));
    } else if (d.status === 'failed') {
      failures.push(failure(x, 'failed', 'created', nextSuccess(x.created)));
    } else if (x.finished !== null) {
      const live = x.finished;
      // A succeeded change counts as failed when a rollback away from its release starts before
      // the next change: impact from when it went fully live until that rollback finished.
      const revert = rollbacksFrom
        .get(d.releaseId)
        ?.find((r) => r.created >= live && (!next || r.created < next.created));
      if (revert) {
        failures.push(
          failure(x, 'reverted', 'finished', revert.d.status === 'succeeded' ? revert : undefined),
        );
      } else if (
        fixWithin > 0 &&
        next &&
        next.d.releaseId !== d.releaseId &&
        next.created >= live &&
        next.created - live <= fixWithin
      ) {
        // Followed by a fix: the next change, of another release, started within `fixWithin` of
        // this one going live. Impact until the first succeeded deployment from the fix on ended.
        failures.push(failure(x, 'fixed', 'finished', nextSuccess(next.created)));
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

/**
 * `x` failed from its start, or (a change that went live) from its end, until `to` ended; open
 * while `to` is missing or has not ended. Times are the texts already read, not formatted again.
 */
function failure(
  x: Timed,
  how: DoraFailure['how'],
  from: 'created' | 'finished',
  to: Timed | undefined,
): DoraFailure {
  const start = from === 'created' ? x.created : (x.finished as number);
  const end = to?.finished ?? null;
  return {
    deploymentId: x.d.id,
    how,
    startedAt: (from === 'created' ? x.createdAt : x.finishedAt) as string,
    recoveredAt: end === null ? null : (to?.finishedAt as string),
    recoveryMs: end === null ? null : end - start,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
