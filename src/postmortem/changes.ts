/**
 * What changed besides the code, for a post-mortem draft: config keys that differ between the new
 * release's run and the one it replaced (names only — values can be secrets), feature flag changes
 * in the environment from the previous deployment to the end of this one, and the database
 * migrations applied, failed or approved during the deployment (from the audit log).
 */
import type { Deployment } from '../domain/types.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';

export interface DraftChanges {
  readonly config: {
    readonly added: string[];
    readonly removed: string[];
    readonly changed: string[];
  } | null;
  readonly flags: readonly {
    readonly key: string;
    readonly version: number;
    readonly action: string;
    readonly at: string;
    readonly by: string;
    readonly reason: string | null;
  }[];
  readonly migrations: readonly {
    readonly action: string;
    readonly at: string;
    readonly release: string | null;
    readonly files: readonly string[];
    readonly detail: string | null;
  }[];
}

const WEEK = 7 * 86_400_000;
const MIGRATION_ACTIONS = new Set([
  'migrations.applied',
  'migrations.failed',
  'migrations.contract.approved',
]);

/** Config keys added, removed or with another value: names only, never a value. */
export function configDiff(
  next: Readonly<Record<string, string>> | undefined,
  previous: Readonly<Record<string, string>> | undefined,
): DraftChanges['config'] {
  if (!next || !previous) return null;
  const keys = [...new Set([...Object.keys(next), ...Object.keys(previous)])].sort();
  return {
    added: keys.filter((k) => !(k in previous)),
    removed: keys.filter((k) => !(k in next)),
    changed: keys.filter((k) => k in next && k in previous && next[k] !== previous[k]),
  };
}

export async function changesOf(store: Store, d: Deployment, end: string | null): Promise<DraftChanges> {
  const state = storedStateOrUndefined(d);
  const config = configDiff(
    state?.ctx.release.vars ?? (state ? state.ctx.vars : undefined),
    state?.ctx.stable?.vars ?? undefined,
  );
  // Flags: from the previous deployment of this environment (at most a week back) to this one's end.
  const earlier = (await store.listDeployments({ app: d.app, env: d.env, before: d.createdAt, limit: 1 }))[0];
  const from = Math.max(Date.parse(earlier?.createdAt ?? d.createdAt), Date.parse(d.createdAt) - WEEK);
  const to = end ? Date.parse(end) : Date.now();
  const flags: DraftChanges['flags'][number][] = [];
  for (const flag of await store.flags.listFlags(d.app, d.env)) {
    for (const v of await store.flags.flagHistory(d.app, d.env, flag.key, 50)) {
      const at = Date.parse(v.at);
      if (at >= from && at <= to)
        flags.push({
          key: v.key,
          version: v.version,
          action: v.action,
          at: v.at,
          by: v.by,
          reason: v.reason,
        });
    }
  }
  flags.sort((a, b) => a.at.localeCompare(b.at));
  // Migrations: the audit entries about this environment from the deployment's start (its audit head).
  const migrations: DraftChanges['migrations'][number][] = [];
  if (d.auditHead) {
    for (const e of await store.listAuditByTarget(`${d.app}/${d.env}`, d.auditHead.seq, 500)) {
      if (!MIGRATION_ACTIONS.has(e.action) || (end && e.at > end)) continue;
      const data = (e.data ?? {}) as { release?: string; files?: string[]; error?: string; reason?: string };
      migrations.push({
        action: e.action,
        at: e.at,
        release: data.release ?? null,
        files: Array.isArray(data.files) ? data.files : [],
        detail: data.error ?? data.reason ?? null,
      });
    }
  }
  return { config, flags, migrations };
}
