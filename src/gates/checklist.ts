/**
 * The seeds' deployment checklists (pre / during / post) as the default template, editable per
 * environment in slipway.yaml (`checklist: { template, add, skip, previousWithin }`). Automated
 * items are judged by slipway from facts; manual items are ticked by a named user with a time.
 * A required pre-deployment item that is still open holds the deployment. Pure: facts and ticks
 * are arguments; `checklistFacts` in `checklist-facts.ts` gathers them.
 */
import type { EnvironmentConfig } from '../config/schema.ts';
import type { ChecklistTick, CiResult } from '../domain/types.ts';

export type Phase = 'pre' | 'during' | 'post';
export type AutoCheck =
  | 'ci'
  | 'previous'
  | 'rollback'
  | 'drift'
  | 'flags'
  | 'migrations'
  | 'monitoring'
  | 'health'
  | 'smoke';

export interface ChecklistItem {
  readonly id: string;
  readonly phase: Phase;
  readonly text: string;
  readonly required: boolean;
  /** Checked by slipway itself; manual when absent. */
  readonly auto?: AutoCheck;
}

/** The seeds' checklist: pre items required, during/post items for the record. */
export const SEED_CHECKLIST: readonly ChecklistItem[] = [
  { id: 'ci-passed', phase: 'pre', text: 'All tests passing in CI', required: true, auto: 'ci' },
  {
    id: 'previous-succeeded',
    phase: 'pre',
    text: 'Staging validation complete',
    required: true,
    auto: 'previous',
  },
  {
    id: 'migrations-tested',
    phase: 'pre',
    text: 'Database migrations tested',
    required: true,
    auto: 'migrations',
  },
  { id: 'rollback-plan', phase: 'pre', text: 'Rollback plan documented', required: true, auto: 'rollback' },
  {
    id: 'config-drift',
    phase: 'pre',
    text: 'Configuration matches the previous environment (no drift)',
    required: true,
    auto: 'drift',
  },
  {
    id: 'flags-match',
    phase: 'pre',
    text: 'Feature flags set as in the previous environment (slipway flags diff)',
    required: false,
    auto: 'flags',
  },
  { id: 'stakeholders-notified', phase: 'pre', text: 'Stakeholders notified', required: true },
  {
    id: 'monitoring-ready',
    phase: 'pre',
    text: 'Monitoring dashboards ready',
    required: true,
    auto: 'monitoring',
  },
  { id: 'on-call-available', phase: 'pre', text: 'On-call engineer available', required: true },
  { id: 'documented-time', phase: 'during', text: 'Start deployment at documented time', required: false },
  { id: 'error-rates', phase: 'during', text: 'Monitor error rates', required: false, auto: 'monitoring' },
  {
    id: 'health-checks',
    phase: 'during',
    text: 'Verify health checks passing',
    required: false,
    auto: 'health',
  },
  { id: 'smoke-tests', phase: 'during', text: 'Run smoke tests', required: false, auto: 'smoke' },
  { id: 'critical-journeys', phase: 'during', text: 'Check critical user journeys', required: false },
  { id: 'metrics-normal', phase: 'post', text: 'Verify metrics within normal ranges', required: false },
  { id: 'support-tickets', phase: 'post', text: 'Confirm no spike in support tickets', required: false },
  { id: 'issues-documented', phase: 'post', text: 'Document any issues encountered', required: false },
  { id: 'runbook-updated', phase: 'post', text: 'Update runbook if needed', required: false },
];

/** The items of an environment's checklist; empty when it declares no `checklist:`. */
export function checklistItems(checklist: EnvironmentConfig['checklist']): ChecklistItem[] {
  if (!checklist) return [];
  const skip = new Set(checklist.skip ?? []);
  const base = checklist.template === 'seed' ? SEED_CHECKLIST : [];
  const added = (checklist.add ?? []).map((a) => ({
    id: a.id,
    phase: a.phase,
    text: a.text,
    required: a.required,
  }));
  const ids = new Set(added.map((a) => a.id));
  return [...base.filter((i) => !skip.has(i.id) && !ids.has(i.id)), ...added];
}

/** What slipway knows about a deployment, for the automated items. */
export interface ChecklistFacts {
  readonly ci: CiResult;
  /** The previous environment and when this digest last succeeded there (null: never / too long ago). */
  readonly previous: {
    readonly env: string;
    readonly withinMs: number;
    readonly succeededAt: string | null;
  } | null;
  /** The release to go back to; null for a first deployment. */
  readonly rollbackTo: string | null;
  /** Whether its files are still there to run it again (false: a rollback has nothing to start). */
  readonly rollbackRunnable?: boolean;
  readonly migrationsDeclared: boolean;
  /** The last rehearsal of this release's migrations (`slipway migrations rehearse --release`), if any. */
  readonly migrationsRehearsed?: {
    readonly ok: boolean;
    readonly env: string;
    readonly by: string;
    readonly at: string;
    readonly detail: string;
  };
  /** The preflight's drift check against the previous environment: null until the preflight ran. */
  readonly drift?: { readonly previous: string | null; readonly warnings: readonly string[] } | null;
  readonly monitoring: boolean;
  readonly smoke: boolean;
  /** Flags that differ from the previous environment's, in words; undefined: not compared. */
  readonly flags?: { readonly previous: string | null; readonly differences: readonly string[] };
}

export interface ItemState extends ChecklistItem {
  readonly done: boolean;
  readonly detail: string;
  readonly by?: string;
  readonly at?: string;
}

function judgeAuto(check: AutoCheck, f: ChecklistFacts): { done: boolean; detail: string } {
  switch (check) {
    case 'ci':
      return { done: f.ci === 'passed', detail: `CI result: ${f.ci}` };
    case 'previous':
      if (!f.previous) return { done: true, detail: 'first environment of the lifecycle' };
      return f.previous.succeededAt
        ? { done: true, detail: `succeeded in ${f.previous.env} at ${f.previous.succeededAt}` }
        : {
            done: false,
            detail: `no success of this digest in ${f.previous.env} within the last ${Math.round(f.previous.withinMs / 3_600_000)} h`,
          };
    case 'rollback':
      if (!f.rollbackTo)
        return { done: true, detail: 'first deployment: rolling back stops the new release' };
      return f.rollbackRunnable === false
        ? {
            done: false,
            detail: `the files of previous release ${f.rollbackTo} are gone; it could not be started again`,
          }
        : { done: true, detail: `previous release ${f.rollbackTo} is warm or redeployable` };
    case 'migrations':
      if (!f.migrationsDeclared) return { done: true, detail: 'none declared' };
      if (!f.migrationsRehearsed)
        return {
          done: false,
          detail:
            'not rehearsed: run `slipway migrations rehearse --env ENV --release VERSION` on a copy of the database',
        };
      return {
        done: f.migrationsRehearsed.ok,
        detail: `rehearsal on a copy of ${f.migrationsRehearsed.env} by ${f.migrationsRehearsed.by} at ${f.migrationsRehearsed.at}: ${f.migrationsRehearsed.detail}`,
      };
    case 'monitoring':
      return f.monitoring
        ? { done: true, detail: 'rollbackIf/metrics configured; slipway measures the release' }
        : { done: false, detail: 'no rollbackIf or metrics configured for this environment' };
    case 'health':
      return { done: true, detail: 'every instance passes its health check before it gets traffic' };
    case 'drift':
      if (f.drift === undefined || f.drift === null)
        return { done: false, detail: 'the preflight has not checked the configuration yet' };
      if (!f.drift.previous)
        return { done: true, detail: 'first environment of the lifecycle: nothing to compare' };
      return {
        done: true,
        detail:
          f.drift.warnings.length === 0
            ? `no drift from ${f.drift.previous}`
            : `no blocking drift from ${f.drift.previous}; ${f.drift.warnings.length} warning(s): ${f.drift.warnings.join('; ')}`,
      };
    case 'flags':
      if (!f.flags) return { done: false, detail: 'flags were not compared' };
      if (!f.flags.previous)
        return { done: true, detail: 'first environment of the lifecycle: nothing to compare' };
      return f.flags.differences.length === 0
        ? { done: true, detail: `flags as in ${f.flags.previous}` }
        : {
            done: false,
            detail: `${f.flags.differences.length} flag(s) differ from ${f.flags.previous}: ${f.flags.differences.join('; ')}`,
          };
    case 'smoke':
      return f.smoke
        ? { done: true, detail: 'smoke checks run after every traffic step' }
        : { done: false, detail: 'no smoke checks configured' };
  }
}

/**
 * Each item with its state. A manual tick also closes an automated item slipway cannot judge
 * (declared migrations), never one it judged open (failed CI stays open).
 */
export function evaluateChecklist(
  items: readonly ChecklistItem[],
  facts: ChecklistFacts,
  ticks: readonly ChecklistTick[],
): ItemState[] {
  const byItem = new Map(ticks.map((t) => [t.item, t]));
  return items.map((item) => {
    const tick = byItem.get(item.id);
    const ticked = tick
      ? { done: true, detail: tick.note ?? 'ticked', by: tick.user, at: tick.at }
      : undefined;
    if (!item.auto) return { ...item, ...(ticked ?? { done: false, detail: 'open' }) };
    const judged = judgeAuto(item.auto, facts);
    if (!judged.done && ticked && item.auto === 'migrations') return { ...item, ...ticked };
    return { ...item, ...judged };
  });
}

/** Required pre-deployment items still open: they hold the deployment. */
export function openRequired(states: readonly ItemState[]): ItemState[] {
  return states.filter((s) => s.phase === 'pre' && s.required && !s.done);
}

/** May `item` be ticked by hand? */
export function tickable(items: readonly ChecklistItem[], id: string): ChecklistItem | string {
  const item = items.find((i) => i.id === id);
  if (!item) {
    return `no checklist item "${id}" (items: ${items.map((i) => i.id).join(', ') || 'none; the environment declares no checklist:'})`;
  }
  if (item.auto && item.auto !== 'migrations') {
    return `"${id}" is checked by slipway itself (${item.auto}); fix what it reports instead of ticking it`;
  }
  return item;
}
