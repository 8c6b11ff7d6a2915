/**
 * The audit log's hash chain: each entry's hash covers its own fields and the previous entry's
 * hash, so an edited, removed or reordered entry breaks every hash after it.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry } from '../domain/types.ts';

export const GENESIS_HASH = 'sha256:' + '0'.repeat(64);

/** JSON with object keys sorted, so the same data always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export function auditHash(entry: Omit<AuditEntry, 'hash'>): string {
  const body = canonicalJson([
    entry.seq,
    entry.at,
    entry.actor,
    entry.action,
    entry.target,
    entry.data,
    entry.prevHash,
  ]);
  return 'sha256:' + createHash('sha256').update(body).digest('hex');
}

/** The first entry that does not fit the chain, or null when the chain is intact. */
export function verifyChain(entries: readonly AuditEntry[]): { seq: number; problem: string } | null {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const entry of entries) {
    if (entry.seq !== expectedSeq)
      return {
        seq: entry.seq,
        problem: `expected entry ${expectedSeq} here; entries were removed or reordered`,
      };
    if (entry.prevHash !== prev)
      return {
        seq: entry.seq,
        problem:
          'its link to the previous entry is broken; an entry before it was removed, reordered or edited',
      };
    if (auditHash(entry) !== entry.hash)
      return { seq: entry.seq, problem: 'its content does not match its hash; it was edited' };
    prev = entry.hash;
    expectedSeq++;
  }
  return null;
}
