/**
 * What a rollback means for the database, said beside the rollback: the migrations applied for
 * releases newer than the one going back into service. Expand ones stay (the older release runs on
 * them: no restore); a contract phase that ran needs the restore of the backup taken before it.
 * Read from the audit log (`migrations.applied`), so it costs no database connection.
 */
import type { Store } from '../store/contract.ts';

interface Applied {
  readonly release?: string;
  readonly phase?: string;
  readonly files?: readonly string[];
  readonly backup?: string;
}

export async function rollbackDatabaseNote(
  store: Store,
  app: string,
  env: string,
  to: { readonly version: string; readonly createdAt: string },
): Promise<string | null> {
  const entries = (await store.listAuditByTarget(`${app}/${env}`, 0, 10_000)).filter(
    (e) => e.action === 'migrations.applied',
  );
  const newer: Applied[] = [];
  for (const e of entries) {
    const data = (e.data ?? {}) as Applied;
    if (!data.release || data.release === to.version) continue;
    const r = await store.findRelease(app, data.release);
    if (r && r.createdAt > to.createdAt) newer.push(data);
  }
  if (newer.length === 0) return null;
  const contract = newer.find((d) => d.phase === 'contract');
  if (contract)
    return `the database had a contract phase after ${to.version} (${(contract.files ?? []).join(', ')} for ${contract.release}): ${to.version} may need the old schema; restore the backup taken before it with \`slipway db restore ${env} --to ${contract.backup}\``;
  const files = newer.flatMap((d) => d.files ?? []);
  return `the database keeps ${files.join(', ')} (expand migrations of ${[...new Set(newer.map((d) => d.release))].join(', ')}): ${to.version} runs on the expanded schema, so no database restore is needed`;
}
