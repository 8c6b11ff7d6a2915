/**
 * Reading the whole audit log back: verification of its hash chain and export as JSON lines, page
 * by page so a long log never has to fit in one query.
 */
import type { AuditEntry } from '../domain/types.ts';
import { verifyChain } from './audit-hash.ts';
import type { Store } from './contract.ts';

const PAGE = 1000;

/** Every audit entry, oldest first, in pages. */
export async function* auditEntries(store: Store): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    const page = await store.listAudit(after, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    after = (page.at(-1) as AuditEntry).seq;
  }
}

export interface AuditVerdict {
  readonly entries: number;
  /** The first entry that does not fit the chain, or null when the chain is intact. */
  readonly broken: { readonly seq: number; readonly problem: string } | null;
}

/** Check the chain from the first entry to the last. */
export async function verifyAuditLog(store: Store): Promise<AuditVerdict> {
  const all: AuditEntry[] = [];
  for await (const entry of auditEntries(store)) all.push(entry);
  return { entries: all.length, broken: verifyChain(all) };
}
