/**
 * Lock sampling for a rehearsal: which relation locks the runner's backend holds, read from
 * pg_locks by a second connection, attributed to the statement that first took each one, and
 * timed until the transaction holding them ends.
 */
import type pg from 'pg';
import { LOCKS, type LockMode, lockRank } from '../lint/rules.ts';

interface Held {
  readonly key: string;
  readonly mode: LockMode;
  readonly on: string;
}

/** pg_locks names modes like AccessExclusiveLock. */
export function fromPg(mode: string): LockMode {
  const words = mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
  return (LOCKS as readonly string[]).includes(words) ? (words as LockMode) : 'none';
}

export async function heldLocks(sampler: pg.Client, pid: number): Promise<Held[]> {
  const r = await sampler
    .query(
      `SELECT l.mode, c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE l.pid = $1 AND l.granted AND l.locktype = 'relation'`,
      [pid],
    )
    .catch(() => ({ rows: [] as { mode: string; relname: string }[] }));
  return (r.rows as { mode: string; relname: string }[])
    .filter((x) => !x.relname.startsWith('pg_') && x.relname !== 'slipway_migrations')
    .map((x) => ({ key: `${x.relname}:${x.mode}`, mode: fromPg(x.mode), on: x.relname }));
}

/** One statement's strongest new lock: first seen when, on what. */
export interface Taken {
  lock: LockMode;
  on?: string;
  seenAt: number | null;
}

/** Note the locks in `held` that were not held before the statement began. */
export function attribute(t: Taken, held: readonly Held[], before: ReadonlySet<string>, now: number): void {
  for (const h of held) {
    if (before.has(h.key)) continue;
    if (lockRank(h.mode) > lockRank(t.lock)) {
      t.lock = h.mode;
      t.on = h.on;
      t.seenAt = now;
    }
  }
}
