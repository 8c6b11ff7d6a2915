/**
 * Reading the whole audit log back: verification of its hash chain and export as JSON lines, page
 * by page so a long log never has to fit in one query. The chain proves no entry inside the log
 * was edited; the heads kept outside it (the anchor file, every deployment) prove the log was not
 * cut short or swapped for another self-consistent one.
 */
import type { AuditEntry, Deployment } from '../domain/types.ts';
import type { AuditAnchor } from './anchor.ts';
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

/** Every deployment, newest first, in pages. */
async function* allDeployments(store: Store): AsyncGenerator<Deployment> {
  let last: Deployment | undefined;
  for (;;) {
    const page = await store.listDeployments({
      limit: PAGE,
      ...(last && { before: last.createdAt, beforeId: last.id }),
    });
    yield* page;
    if (page.length < PAGE) return;
    last = page.at(-1);
  }
}

export interface AuditVerdict {
  readonly entries: number;
  /** The first entry that does not fit the chain, or null when the chain is intact. */
  readonly broken: { readonly seq: number; readonly problem: string } | null;
  /** A head recorded outside the log that the log no longer has: truncated or replaced. */
  readonly mismatch: string | null;
  /** How many heads outside the log were compared (the anchor and the deployments that carry one). */
  readonly anchorsChecked: number;
}

/** Check the chain from the first entry to the last, then against the heads kept outside the log. */
export async function verifyAuditLog(store: Store, anchor?: AuditAnchor): Promise<AuditVerdict> {
  const all: AuditEntry[] = [];
  for await (const entry of auditEntries(store)) all.push(entry);
  const broken = verifyChain(all);
  const heads: { seq: number; hash: string; where: string }[] = [];
  if (anchor && anchor.storeId === store.id) {
    heads.push({ seq: anchor.seq, hash: anchor.hash, where: `the audit anchor (written ${anchor.at})` });
  }
  for await (const d of allDeployments(store)) {
    if (d.auditHead) heads.push({ ...d.auditHead, where: `deployment ${d.id} (created ${d.createdAt})` });
  }
  let mismatch: string | null = null;
  for (const head of heads) {
    const entry = all[head.seq - 1];
    if (!entry) {
      mismatch = `the log has ${all.length} entries, but ${head.where} saw entry ${head.seq}: entries were cut off the end`;
      break;
    }
    if (entry.hash !== head.hash) {
      mismatch = `entry ${head.seq} has hash ${entry.hash}, but ${head.where} recorded ${head.hash}: the log was replaced by another one`;
      break;
    }
  }
  return { entries: all.length, broken, mismatch, anchorsChecked: heads.length };
}
