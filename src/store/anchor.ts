/**
 * The audit anchor, `.slipway/audit-head`: the audit chain's head (seq and hash) kept outside the
 * store, moved forward after each append. The log must always contain the anchored entry; a log
 * shorter than the anchor was truncated, one whose entry there has another hash was replaced.
 * Two processes appending at once may leave the anchor one entry behind, never ahead: it is a
 * lower bound, which is all the check needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry } from '../domain/types.ts';
import { writeJsonFileAtomic } from '../runtime/atomic-file.ts';

export const ANCHOR_FILE = 'audit-head';

export interface AuditAnchor {
  readonly storeId: string;
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
}

interface AnchorFile {
  readonly format: 1;
  readonly stores: Readonly<Record<string, AuditAnchor>>;
}

export const anchorPath = (dataDir: string): string => join(dataDir, ANCHOR_FILE);

function readAnchors(dataDir: string): AnchorFile {
  try {
    const parsed = JSON.parse(readFileSync(anchorPath(dataDir), 'utf8')) as AnchorFile;
    if (parsed?.format === 1 && typeof parsed.stores === 'object' && parsed.stores !== null) return parsed;
  } catch {
    // Missing or unreadable: no anchor yet (`audit verify` says so).
  }
  return { format: 1, stores: {} };
}

export function readAnchor(dataDir: string, key: string): AuditAnchor | undefined {
  return readAnchors(dataDir).stores[key];
}

/** Move the anchor to `entry` when it is newer than the one recorded (or `force`, after a restore). */
export function advanceAnchor(
  dataDir: string,
  key: string,
  storeId: string,
  entry: Pick<AuditEntry, 'seq' | 'hash' | 'at'>,
  force = false,
): void {
  const file = readAnchors(dataDir);
  const current = file.stores[key];
  if (!force && current && current.storeId === storeId && current.seq >= entry.seq) return;
  const anchor: AuditAnchor = { storeId, seq: entry.seq, hash: entry.hash, at: entry.at };
  // Not fsynced: a crash may lose the newest move, and an older anchor is still a valid lower
  // bound; paying two fsyncs on every audit append is not worth that one entry.
  writeJsonFileAtomic(
    anchorPath(dataDir),
    { format: 1, stores: { ...file.stores, [key]: anchor } },
    { durable: false },
  );
}
