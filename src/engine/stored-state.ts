/**
 * The engine's persisted state (the `state` column of a deployment: plan and progress, the fixed
 * context, the last measurement) as a schema. Every reader parses it here, so an old or corrupt row
 * is one clear error naming the deployment, never a crash somewhere downstream.
 */
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import type { DeploymentContext } from './context.ts';
import type { EngineState } from './machine.ts';
import { ENGINE_STATUSES } from './machine.ts';
import type { GuardResult } from './ports.ts';

const num = z.number();
const when = num.nullable();

const PlanStepSchema = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('preflight') }),
  z.looseObject({ kind: z.literal('approval') }),
  z.looseObject({ kind: z.literal('migrate') }),
  z.looseObject({ kind: z.literal('start'), count: num }),
  z.looseObject({ kind: z.literal('shift'), weight: num }),
  z.looseObject({ kind: z.literal('flag'), key: z.string(), percent: num }),
  z.looseObject({ kind: z.literal('scale'), newCount: num, oldCount: num, weight: num }),
  z.looseObject({ kind: z.literal('smoke') }),
  z.looseObject({ kind: z.literal('checks') }),
  z.looseObject({ kind: z.literal('performance') }),
  z.looseObject({ kind: z.literal('pause'), durationMs: when }),
  z.looseObject({ kind: z.literal('analysis'), durationMs: num }),
  z.looseObject({ kind: z.literal('watch'), durationMs: num }),
  z.looseObject({ kind: z.literal('finalize') }),
]);

const OutcomeSchema = z.looseObject({
  reason: z.string(),
  rule: z.string().optional(),
  observed: num.nullable().optional(),
  threshold: num.nullable().optional(),
  by: z.string().optional(),
});

const EngineStateSchema = z.looseObject({
  plan: z.array(PlanStepSchema),
  status: z.enum(ENGINE_STATUSES),
  step: num,
  stepStartedAt: when,
  pausedMs: num,
  pausedAt: when,
  weight: num,
  weightChangedAt: when,
  outcome: OutcomeSchema.nullable(),
  endAs: z.enum(['rolled_back', 'aborted', 'failed']).nullable(),
  timeline: z.array(z.looseObject({ at: num, what: z.string() })),
  touchedAt: num,
});

const strings = z.record(z.string(), z.string());
const ReleaseRunSchema = z.looseObject({
  id: z.string(),
  version: z.string(),
  digest: z.string(),
  cwd: z.string(),
  vars: strings.optional(),
  secretPins: z.record(z.string(), num).optional(),
  sensitiveKeys: z.array(z.string()).optional(),
});

const ContextSchema = z.looseObject({
  app: z.string(),
  env: z.string(),
  release: ReleaseRunSchema,
  stable: ReleaseRunSchema.nullable(),
  run: z.looseObject({
    command: z.string(),
    instances: num,
    health: z.looseObject({
      path: z.string(),
      intervalMs: num,
      timeoutMs: num,
      expect: z.union([num, z.string()]).optional(),
    }),
    cwd: z.string().optional(),
    startTimeoutMs: num,
    stopTimeoutMs: num,
  }),
  vars: strings,
  secretPins: z.record(z.string(), num).optional(),
  sensitiveKeys: z.array(z.string()).optional(),
  listen: z.looseObject({ host: z.string(), port: num }),
  driver: z.string().optional(),
  stickiness: z.looseObject({ kind: z.enum(['header', 'cookie']), name: z.string() }).optional(),
  previewHeader: z.string(),
  warmForMs: num,
  smoke: z.array(
    z.looseObject({
      get: z.string(),
      expect: z.union([num, z.string()]).optional(),
      contains: z.string().optional(),
      retries: num.optional(),
      delayMs: num.optional(),
    }),
  ),
  checks: z.array(z.looseObject({ name: z.string(), run: z.string(), timeoutMs: num })).optional(),
  profile: z.string(),
  inconclusive: z.enum(['wait', 'pause', 'fail']),
  flagOff: z.looseObject({ flag: z.string() }).optional(),
});

/** A rollback deployment: why, by whom, and which gates it went past because it is one. */
const RollbackMarkSchema = z.looseObject({
  reason: z.string(),
  by: z.string(),
  kind: z.enum(['switch', 'redeploy', 'automatic']),
});

// Loose at every level: fields a newer slipway adds survive a read-modify-write by this one.
const StoredStateSchema = z.looseObject({
  engine: EngineStateSchema,
  ctx: ContextSchema,
  guard: z.looseObject({ verdict: z.enum(['pass', 'fail', 'inconclusive']), reason: z.string() }).optional(),
  rollback: RollbackMarkSchema.optional(),
});

export type RollbackMark = z.infer<typeof RollbackMarkSchema>;

export interface StoredState {
  readonly engine: EngineState;
  readonly ctx: DeploymentContext;
  /** The latest guard measurement, for progress views. */
  readonly guard?: GuardResult;
  /** Set on a deployment that is a rollback (it skips windows, freezes and approvals). */
  readonly rollback?: RollbackMark;
}

/** The stored state of deployment `d`, checked; an unreadable one is DEPLOYMENT_STATE_INVALID. */
export function parseStoredState(d: { readonly id: string; readonly state: unknown }): StoredState {
  const parsed = StoredStateSchema.safeParse(d.state);
  if (parsed.success) return parsed.data as StoredState;
  const first = parsed.error.issues[0];
  const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unreadable';
  throw new AppError(
    'DEPLOYMENT_STATE_INVALID',
    `the stored state of deployment ${d.id} cannot be read (${where}); it was written by another slipway version or damaged. \`slipway history --id ${d.id}\` shows its record; abort it with \`slipway abort ENV\` or restore the store from a backup`,
  );
}

/** The same, for readers that show what they can: undefined instead of an error. */
export function storedStateOrUndefined(d: {
  readonly id: string;
  readonly state: unknown;
}): StoredState | undefined {
  const parsed = StoredStateSchema.safeParse(d.state);
  return parsed.success ? (parsed.data as StoredState) : undefined;
}
