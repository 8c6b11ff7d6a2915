/** The facts the automated checklist items are judged on, read from the config and the store. */
import { existsSync } from 'node:fs';
import type { SlipwayConfig } from '../config/schema.ts';
import type { Deployment } from '../domain/types.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { FlagDefinition } from '../flags/definition.ts';
import { diffFlags } from '../flags/diff.ts';
import { rehearsalTarget } from '../migrations/audit.ts';
import type { Store } from '../store/contract.ts';
import { type ChecklistFacts, checklistItems, evaluateChecklist, type ItemState } from './checklist.ts';

export async function checklistFacts(
  store: Store,
  config: Pick<SlipwayConfig, 'app' | 'environments' | 'migrations'>,
  d: Deployment,
  now: number,
): Promise<ChecklistFacts> {
  const env = config.environments[d.env];
  const release = await store.findRelease(d.app, d.releaseId);
  const withinMs = env?.checklist?.previousWithin ?? 86_400_000;
  let previous: ChecklistFacts['previous'] = null;
  if (env?.after) {
    const done = await store.listDeployments({ app: d.app, env: env.after, status: 'succeeded', limit: 200 });
    let succeededAt: string | null = null;
    for (const p of done) {
      const at = p.finishedAt ?? p.updatedAt;
      if (now - Date.parse(at) > withinMs) continue;
      const r = await store.findRelease(d.app, p.releaseId);
      if (r && r.digest === release?.digest) {
        succeededAt = at;
        break;
      }
    }
    previous = { env: env.after, withinMs, succeededAt };
  }
  const from = d.fromReleaseId ? await store.findRelease(d.app, d.fromReleaseId) : undefined;
  // The stable release's folder, as the deployment will run it on a rollback.
  // A view: a state this version cannot read shows as "not yet" rather than failing the checklist.
  const state = storedStateOrUndefined(d);
  const stableDir = state?.ctx.stable?.cwd;
  // A deployment past its preflight passed the drift check (errors fail it); warnings are its notes.
  const timeline = state?.engine.timeline ?? [];
  const preflightDone = timeline.some((t) => t.what.startsWith('done: preflight'));
  const warnings = timeline
    .filter((t) => t.what.startsWith('done: preflight'))
    .flatMap((t) => [...t.what.matchAll(/drift from [^;)]*/g)].map((m) => m[0]));
  const flagsOf = async (name: string) =>
    new Map(
      (await store.flags.listFlags(d.app, name)).map((f) => [f.key, f.definition as FlagDefinition] as const),
    );
  const flagDrift = env?.after
    ? diffFlags(env.after, await flagsOf(env.after), d.env, await flagsOf(d.env)).map(
        (x) => `${x.key} (${x.differences.join(', ')})`,
      )
    : [];
  return {
    ci: release?.ci ?? 'unknown',
    flags: { previous: env?.after ?? null, differences: flagDrift },
    drift: preflightDone ? { previous: env?.after ?? null, warnings } : null,
    previous,
    rollbackTo: from ? from.version : null,
    ...(stableDir && { rollbackRunnable: existsSync(stableDir) }),
    migrationsDeclared: config.migrations !== undefined,
    ...(config.migrations &&
      release && { migrationsRehearsed: await rehearsed(store, d.app, release.digest) }),
    monitoring: env?.rollbackIf !== undefined || env?.metrics !== undefined,
    smoke: (env?.smoke ?? []).length > 0,
  };
}

/** A deployment's checklist with every item's state. */
export async function deploymentChecklist(
  store: Store,
  config: Pick<SlipwayConfig, 'app' | 'environments' | 'migrations'>,
  d: Deployment,
  now: number,
): Promise<ItemState[]> {
  const items = checklistItems(config.environments[d.env]?.checklist);
  if (items.length === 0) return [];
  const [facts, ticks] = await Promise.all([
    checklistFacts(store, config, d, now),
    store.listChecklistTicks(d.id),
  ]);
  return evaluateChecklist(items, facts, ticks);
}

/** The newest rehearsal of a release's migrations, from the audit log (`migrations.rehearsed`). */
async function rehearsed(
  store: Store,
  app: string,
  digest: string,
): Promise<ChecklistFacts['migrationsRehearsed']> {
  const e = await store.latestAudit({
    actions: ['migrations.rehearsed'],
    target: rehearsalTarget(app, digest),
  });
  if (!e) return undefined;
  const data = (e.data ?? {}) as {
    ok?: boolean;
    env?: string;
    worst?: number;
    budgetMs?: number;
    error?: string;
  };
  const detail = data.error
    ? `failed: ${data.error}`
    : data.ok
      ? `passed, longest ACCESS EXCLUSIVE ${data.worst ?? 0} ms (budget ${data.budgetMs} ms)`
      : `over the lock budget: ACCESS EXCLUSIVE held ${data.worst} ms (budget ${data.budgetMs} ms)`;
  return { ok: data.ok === true, env: data.env ?? '?', by: e.actor, at: e.at, detail };
}
