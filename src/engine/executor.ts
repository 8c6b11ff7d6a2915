/**
 * The durable executor: it drives one deployment through its plan. Every transition is written to
 * the store before its effect is applied and every effect is idempotent, so a control plane killed
 * at any point resumes (or rolls back) the deployment when it starts again. Commands from other
 * processes (pause, resume, abort, rollback) land in the store and are seen on the next turn.
 */

import { hostname } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { AppError, isAppError } from '../domain/errors.ts';
import type { Deployment, DeploymentStatus } from '../domain/types.ts';
import { withKill, withRollout } from '../flags/rollout.ts';
import type { LockOwner, Store } from '../store/contract.ts';
import { isUnreachable, lostAgentMessage } from './agent-loss.ts';
import {
  type DeploymentContext,
  desiredBody,
  pinsOf,
  type SecretVars,
  type Shape,
  sensitiveKeysOf,
  weightsFor,
} from './context.ts';
import {
  type Action,
  advance,
  type EngineEvent,
  type EngineState,
  isFinished,
  next,
  settledWeight,
} from './machine.ts';
import type { PlanStep } from './plan.ts';
import type {
  CheckRunner,
  Clock,
  DataPlane,
  DeploymentReporter,
  GatePoint,
  Gates,
  Guard,
  GuardResult,
  Migrator,
  PerformanceRunner,
  Preflight,
  SecretsPort,
  SmokeChecker,
} from './ports.ts';
import { recordRevertTime } from './revert-times.ts';
import { parseStoredState, type StoredState } from './stored-state.ts';

export type { StoredState } from './stored-state.ts';

export interface ExecutorDeps {
  readonly store: Store;
  readonly dataPlane: DataPlane;
  readonly guard: Guard;
  readonly smoke: SmokeChecker;
  /** Runs the environment's check commands; without it a checks step passes through with a note. */
  readonly checks?: CheckRunner;
  /** Runs the environment's performance step; without it the step passes through with a note. */
  readonly performance?: PerformanceRunner;
  /** Tells an outside system (GitHub Deployments) where each deployment stands; never decides. */
  readonly reporter?: DeploymentReporter;
  readonly preflight?: Preflight;
  /** The app's database migrations; without it a migrate step passes through. */
  readonly migrations?: Migrator;
  /** Secret values per apply, and redaction of stored text; without it instances get no secrets. */
  readonly secrets?: SecretsPort;
  /** Approval, window and checklist gates; without them the approval step passes through. */
  readonly gates?: Gates;
  readonly clock: Clock;
  /** How long a deployment may go unwatched (control plane down) and still be resumed; default 10 min. */
  readonly resumeWithinMs?: number;
  /** How often a paused deployment looks for a resume; default 250 ms. */
  readonly pollMs?: number;
  /** How long to keep retrying an agent that cannot be reached before giving up; default 30 s. */
  readonly agentRetryMs?: number;
  /**
   * Queue the notification a finished deployment announces, or (with the event) that it waits for
   * approval. Only queues: delivery runs elsewhere.
   */
  readonly notify?: (deploymentId: string, event?: 'deployment.waiting_approval') => Promise<void>;
}

const STATUS: Record<EngineState['status'], DeploymentStatus> = {
  running: 'running',
  paused: 'paused',
  rolling_back: 'running',
  succeeded: 'succeeded',
  rolled_back: 'rolled_back',
  aborted: 'aborted',
  failed: 'failed',
};

export class Executor {
  readonly #deps: ExecutorDeps;

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  /** This process as the holder of an environment's deploy lock while it drives `deploymentId`. */
  static owner(deploymentId: string): LockOwner {
    return { id: `${deploymentId}@${process.pid}`, pid: process.pid, host: hostname() };
  }

  /** Take the environment's deploy lock for this deployment, or say who holds it. */
  async lock(d: Pick<Deployment, 'id' | 'app' | 'env'>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#deps.store.acquireLock(
        lockName(d.app, d.env),
        Executor.owner(d.id),
        LOCK_TTL_MS,
      );
      if (result.acquired) return;
      // A status read holds the lock for a moment to learn whether anyone drives the deployment.
      if (result.holder.id.startsWith(LOCK_PROBE) && attempt < 50) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      const [holder] = result.holder.id.split('@');
      throw new AppError(
        'LOCK_HELD',
        `${d.env} is busy: deployment ${holder} is driven by process ${result.holder.pid} on ${result.holder.host}; follow it with \`slipway status ${d.env}\`, or stop it with \`slipway abort ${d.env}\``,
      );
    }
  }

  /** Let go of the environment's lock without finishing: the deployment stays in flight, interrupted. */
  async unlock(d: Pick<Deployment, 'id' | 'app' | 'env'>): Promise<void> {
    await this.#deps.store.releaseLock(lockName(d.app, d.env), Executor.owner(d.id));
  }

  /**
   * Apply an event (or only record a guard measurement, with `event` null) to a stored deployment,
   * retrying on concurrent writers; returns the new state.
   */
  async transition(id: string, raw: EngineEvent | null, rawGuard?: GuardResult): Promise<StoredState> {
    const { store, clock } = this.#deps;
    // Text from outside (errors, smoke answers, app output) may quote a secret: hide it before storing.
    const event = raw && this.#redacted(raw);
    const guard = rawGuard && this.#redacted(rawGuard);
    for (;;) {
      const d = await store.getDeployment(id);
      if (!d)
        throw new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}; list them with \`slipway history\``);
      const current = parseStoredState(d);
      const engine = event ? advance(current.engine, event) : current.engine;
      const state: StoredState = { ...current, engine, ...(guard && { guard }) };
      if (engine === current.engine && !guard) return current;
      const finished = isFinished(engine.status) && !isFinished(current.engine.status);
      const saved = await store.updateDeployment(id, d.revision, {
        status: STATUS[engine.status],
        state,
        ...(engine.outcome && { reason: engine.outcome.reason }),
        ...(finished && { finishedAt: new Date(clock.now()).toISOString() }),
      });
      if (!saved) continue;
      for (const entry of engine.timeline.slice(current.engine.timeline.length)) {
        await store.appendEvent({
          deploymentId: id,
          app: d.app,
          env: d.env,
          type: 'timeline',
          at: new Date(entry.at).toISOString(),
          data: { what: entry.what, status: engine.status, weight: engine.weight, step: engine.step },
        });
      }
      if (finished) await this.#finish(d, state);
      return state;
    }
  }

  /**
   * Drive the deployment until it finishes, or until `signal` aborts (the deployment then stays
   * in flight for the next executor). Resumes where the stored state says it is.
   */
  async run(id: string, signal?: AbortSignal): Promise<Deployment> {
    // A step can last long without a turn of this loop (a 30-minute watch, a PUT waiting for
    // health): the lease is renewed on a timer too, or the deployment would look interrupted.
    const owner = Executor.owner(id);
    let leased: string | undefined;
    const beat = setInterval(() => {
      if (leased) this.#deps.store.renewLock(leased, owner, LOCK_TTL_MS).catch(() => undefined);
    }, LOCK_TTL_MS / 4);
    beat.unref?.();
    try {
      return await this.#drive(id, signal, (d) => {
        leased = lockName(d.app, d.env);
      });
    } finally {
      clearInterval(beat);
    }
  }

  async #drive(
    id: string,
    signal: AbortSignal | undefined,
    locked: (d: Deployment) => void,
  ): Promise<Deployment> {
    const { clock } = this.#deps;
    let first = true;
    let lostSince: number | null = null;
    for (;;) {
      const d = await this.#load(id);
      const state = parseStoredState(d);
      if (!isFinished(state.engine.status)) {
        await this.lock(d);
        locked(d);
      }
      if (first) {
        first = false;
        if (await this.#staleResume(id, state)) continue;
        if (this.#deps.reporter && !isFinished(state.engine.status)) {
          const note = await this.#deps.reporter.started(id, state.ctx);
          await this.transition(id, { type: 'note', at: clock.now(), what: note });
        }
      }
      if (signal?.aborted) {
        // Stopped driving: the deployment stays in flight; whoever resumes it takes the lock.
        if (!isFinished(state.engine.status)) await this.unlock(d);
        return d;
      }
      const action = next(state.engine, clock.now());
      if (action.kind === 'done') return d;
      try {
        await this.#act(id, state, action, signal);
        lostSince = null;
      } catch (error) {
        if (!isAppError(error) || error.code !== 'AGENT_UNAVAILABLE') throw error;
        // The agent may be restarting: try again for a bounded time, then say where things stand.
        const now = clock.now();
        if (lostSince === null) {
          lostSince = now;
          await this.transition(id, {
            type: 'note',
            at: now,
            what: `lost the agent (${error.message}); retrying for ${Math.round(this.#retryMs / 1000)}s`,
          });
        }
        if (now - lostSince >= this.#retryMs) {
          await this.unlock(d);
          throw new AppError('AGENT_UNAVAILABLE', lostAgentMessage(d, state, this.#retryMs, error.message));
        }
        await clock.sleep(Math.min(1000, this.#retryMs), signal);
      }
    }
  }

  get #retryMs(): number {
    return this.#deps.agentRetryMs ?? 30_000;
  }

  #redacted<T>(value: T): T {
    const redact = this.#deps.secrets?.redact.bind(this.#deps.secrets);
    if (!redact) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return redact(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v === null || typeof v !== 'object') return v;
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item)]));
    };
    return walk(value) as T;
  }

  /** The desired state for a shape, with the secret values of each release read right now. */
  async #desired(ctx: DeploymentContext, shape: Shape) {
    const secrets: Record<string, Record<string, string>> = {};
    const port = this.#deps.secrets;
    if (port) {
      secrets[ctx.release.id] = await port.values(
        ctx.env,
        pinsOf(ctx, ctx.release),
        sensitiveKeysOf(ctx, ctx.release),
      );
      const stable = ctx.stable;
      if (stable) {
        // A stable release whose pinned versions are gone keeps what the agent already runs it with.
        secrets[stable.id] = await port
          .values(ctx.env, pinsOf(ctx, stable), sensitiveKeysOf(ctx, stable))
          .catch(async (error: unknown) => {
            const running = (await this.#deps.dataPlane.desired(ctx.env))?.releases.find(
              (r) => r.release === stable.id,
            );
            if (!running) throw error;
            return { ...running.vars };
          });
      }
    }
    return desiredBody(ctx, shape, secrets satisfies SecretVars);
  }

  async #load(id: string): Promise<Deployment> {
    const d = await this.#deps.store.getDeployment(id);
    if (!d) throw new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}`);
    return d;
  }

  /** A deployment nobody watched for too long is rolled back rather than resumed blind. */
  async #staleResume(id: string, state: StoredState): Promise<boolean> {
    const gap = this.#deps.clock.now() - state.engine.touchedAt;
    const limit = this.#deps.resumeWithinMs ?? 600_000;
    if (
      isFinished(state.engine.status) ||
      state.engine.status === 'rolling_back' ||
      gap <= limit ||
      state.engine.weight === 0
    )
      return false;
    await this.transition(id, {
      type: 'unhealthy',
      at: this.#deps.clock.now(),
      outcome: {
        reason: `the control plane was away for ${Math.round(gap / 1000)}s while the release took traffic; rolling back instead of resuming unwatched`,
      },
    });
    return true;
  }

  async #act(id: string, state: StoredState, action: Action, signal?: AbortSignal): Promise<void> {
    const { clock } = this.#deps;
    switch (action.kind) {
      case 'idle':
        await clock.sleep(this.#deps.pollMs ?? 250, signal);
        return;
      case 'begin':
        await this.transition(id, { type: 'step-began', at: clock.now() });
        return;
      case 'rollback':
        if (state.ctx.flagOff)
          await flagOff(this.#deps.store, id, state.ctx.flagOff.flag, state.ctx, () => clock.now());
        await this.#rollback(state.ctx);
        await this.transition(id, { type: 'rollback-done', at: clock.now() });
        return;
      case 'run': {
        if ((await this.#hostEvents(id, state)) === 'pending') return;
        const result = await this.#runStep(id, state, action.step, action.elapsedMs, signal).catch(
          (error: unknown) => {
            // An agent that cannot be reached says nothing about the release: retried by run().
            if (isAppError(error) && error.code === 'AGENT_UNAVAILABLE' && isUnreachable(error)) throw error;
            return {
              failed: isAppError(error)
                ? [error.message, ...error.details.slice(-10)].join('\n')
                : `unexpected error: ${(error as Error).message}`,
            };
          },
        );
        if (result === 'pending' || signal?.aborted) return;
        if ('failed' in result)
          await this.transition(id, {
            type: 'step-failed',
            at: clock.now(),
            outcome: { reason: result.failed },
          });
        else
          await this.transition(id, {
            type: 'step-succeeded',
            at: clock.now(),
            ...(result.note && { note: result.note }),
          });
        return;
      }
    }
  }

  async #runStep(
    id: string,
    state: StoredState,
    step: PlanStep,
    elapsedMs: number,
    signal?: AbortSignal,
  ): Promise<'pending' | { note?: string } | { failed: string }> {
    const { ctx } = state;
    const { dataPlane, clock } = this.#deps;
    const n = ctx.run.instances;
    // Gates hold the deployment before the first step that touches the data plane.
    if (this.#deps.gates && state.engine.step === firstTrafficStep(state.engine.plan)) {
      const gate = await this.#gate(id, state, 'traffic', signal);
      if (gate !== 'open') return gate;
    }
    switch (step.kind) {
      case 'preflight': {
        const result = (await this.#deps.preflight?.check(ctx)) ?? [];
        const { problems, notes = [] } = Array.isArray(result)
          ? { problems: result as readonly string[] }
          : (result as { problems: readonly string[]; notes?: readonly string[] });
        if (problems.length > 0) return { failed: `preflight: ${problems.join('; ')}` };
        return notes.length > 0 ? { note: notes.join('; ') } : {};
      }
      case 'approval': {
        if (!this.#deps.gates) return { note: 'no gates configured; passed through' };
        const gate = await this.#gate(id, state, 'approval', signal);
        return gate === 'open' ? {} : gate;
      }
      case 'migrate': {
        if (!this.#deps.migrations) return { note: 'no migrator configured; passed through' };
        return await this.#deps.migrations.run(ctx, id);
      }
      case 'start':
        await dataPlane.putEnv(
          ctx.env,
          await this.#desired(ctx, { weight: 0, newCount: step.count, stableCount: n }),
        );
        return {};
      case 'shift': {
        if (ctx.stable) await dataPlane.setWeights(ctx.env, weightsFor(ctx, step.weight));
        else
          await dataPlane.putEnv(
            ctx.env,
            await this.#desired(ctx, { weight: 100, newCount: n, stableCount: 0 }),
          );
        return {};
      }
      case 'flag':
        await moveFlag(this.#deps.store, id, ctx, step.key, step.percent);
        return {};
      case 'scale': {
        // Surge first (new instances healthy before old ones go), then retire the old ones.
        const before = state.engine.weight;
        const previousOld = Math.max(step.oldCount, n - Math.round((before / 100) * n));
        await dataPlane.putEnv(
          ctx.env,
          await this.#desired(ctx, {
            weight: Math.round((100 * step.newCount) / (step.newCount + previousOld)),
            newCount: step.newCount,
            stableCount: previousOld,
          }),
        );
        await dataPlane.putEnv(
          ctx.env,
          await this.#desired(ctx, {
            weight: step.weight,
            newCount: step.newCount,
            stableCount: step.oldCount,
          }),
        );
        return {};
      }
      case 'smoke': {
        const result = await this.#deps.smoke.run(ctx);
        return result.ok ? {} : { failed: `smoke check failed: ${result.reason}` };
      }
      case 'checks': {
        if (!this.#deps.checks) return { note: 'no check runner configured; passed through' };
        const result = await this.#deps.checks.run(ctx, signal);
        return result.ok ? { note: result.note } : { failed: result.reason };
      }
      case 'performance': {
        if (!this.#deps.performance) return { note: 'no performance runner configured; passed through' };
        const desired = ctx.stable ? await dataPlane.desired(ctx.env) : undefined;
        const stableRunning = desired?.releases.some((r) => r.release === ctx.stable?.id) ?? false;
        const result = await this.#deps.performance.run(ctx, { deploymentId: id, stableRunning, signal });
        return result.ok ? { note: result.note } : { failed: result.reason };
      }
      case 'pause':
        if (step.durationMs === null) {
          await this.transition(id, {
            type: 'pause',
            at: clock.now(),
            by: 'the plan (resume with `slipway resume`)',
          });
          return 'pending';
        }
        return this.#timed(id, state, step.durationMs, elapsedMs, 'traffic', signal);
      case 'analysis':
        return this.#timed(id, state, step.durationMs, elapsedMs, 'analysis', signal);
      case 'watch':
        return this.#timed(id, state, step.durationMs, elapsedMs, 'watch', signal);
      case 'finalize': {
        const keepWarm = ctx.warmForMs > 0 && ctx.stable !== null;
        const retireAt = new Date(clock.now() + ctx.warmForMs).toISOString();
        await dataPlane.putEnv(
          ctx.env,
          await this.#desired(ctx, {
            weight: 100,
            newCount: n,
            stableCount: keepWarm ? n : 0,
            ...(keepWarm && { stableRetireAt: retireAt }),
          }),
        );
        return keepWarm ? { note: `previous release kept warm until ${retireAt}` } : {};
      }
    }
  }

  /** A step that lasts: measure every interval, roll back on a failing rule, finish when the time is up. */
  async #timed(
    id: string,
    state: StoredState,
    durationMs: number,
    elapsedAtStart: number,
    phase: 'traffic' | 'analysis' | 'watch',
    signal?: AbortSignal,
  ): Promise<'pending' | { note?: string } | { failed: string }> {
    const { clock, guard } = this.#deps;
    const measuring = settledWeight(state.engine) > 0 || state.engine.weight > 0;
    const started = clock.now() - elapsedAtStart;
    const seen = new Set<string>();
    let last: GuardResult | undefined;
    let passedOnce = false;
    let deadline = durationMs;
    for (;;) {
      if (signal?.aborted) return 'pending';
      const fresh = parseStoredState(await this.#load(id));
      if (fresh.engine.status !== 'running' || fresh.engine.step !== state.engine.step) return 'pending';
      if ((await this.#hostEvents(id, fresh)) === 'pending') return 'pending';
      if (measuring) {
        const cutoverAt = fresh.engine.weight === 100 ? fresh.engine.weightChangedAt : null;
        last = await guard.check(state.ctx, phase, clock.now(), cutoverAt);
        if (last.verdict === 'fail') {
          await this.transition(
            id,
            {
              type: 'unhealthy',
              at: clock.now(),
              outcome: {
                reason: last.reason,
                ...(last.rule && { rule: last.rule }),
                observed: last.observed ?? null,
                threshold: last.threshold ?? null,
              },
            },
            last,
          );
          return 'pending';
        }
        const notes = last.warnings.filter((w) => !seen.has(w));
        for (const w of notes) seen.add(w);
        for (const w of notes)
          await this.transition(id, { type: 'note', at: clock.now(), what: `warning: ${w}` });
        if (last.verdict === 'pass') passedOnce = true;
        await this.transition(id, null, last);
      }
      const elapsed = clock.now() - started - (fresh.engine.pausedMs - state.engine.pausedMs);
      if (elapsed >= deadline) {
        // A watch window judges the whole window: one round with enough traffic to pass is a pass.
        // It follows the policy only where a release waits to be returned to; an environment's
        // first release has nothing to go back to, so its watch ends with a note instead.
        // Where nothing measures traffic (HAProxy, nginx without a metrics source), a watch can
        // only have watched instance health: it says so rather than calling the traffic good.
        const blind = phase === 'watch' ? guard.unmeasurable?.(state.ctx) : undefined;
        const judged = phase === 'analysis' || (phase === 'watch' && state.ctx.stable !== null && !blind);
        if (!judged || !measuring || last?.verdict === 'pass' || (phase === 'watch' && passedOnce)) {
          if (phase === 'watch' && measuring && !passedOnce)
            return {
              note: blind
                ? `traffic not judged: ${blind} (instance health was watched)`
                : `not judged: ${last?.reason ?? 'no measurement'} (no earlier release to go back to)`,
            };
          return {};
        }
        if (state.ctx.inconclusive === 'fail')
          return { failed: `${phase} could not decide: ${last?.reason ?? 'no measurement'}` };
        if (state.ctx.inconclusive === 'wait' && deadline < durationMs * 3) {
          deadline += durationMs;
          continue;
        }
        await this.transition(id, {
          type: 'pause',
          at: clock.now(),
          by: `${phase} (could not decide: ${last?.reason ?? 'no measurement'})`,
        });
        return 'pending';
      }
      await clock.sleep(Math.min(guard.intervalMs(state.ctx), deadline - elapsed), signal);
    }
  }

  /**
   * Ask the gates until they open: a wait is noted in the timeline (once per reason) and asked
   * again; blocked fails the step with the gate's reason. Pause, abort or a stop signal end the wait.
   */
  async #gate(
    id: string,
    state: StoredState,
    point: GatePoint,
    signal?: AbortSignal,
  ): Promise<'open' | 'pending' | { failed: string }> {
    const { clock } = this.#deps;
    const gates = this.#deps.gates as Gates;
    let noted: string | undefined;
    for (;;) {
      if (signal?.aborted) return 'pending';
      const d = await this.#load(id);
      const fresh = parseStoredState(d);
      if (fresh.engine.status !== 'running' || fresh.engine.step !== state.engine.step) return 'pending';
      await this.lock(d);
      const result = await gates.check(state.ctx, d, point);
      if (result.state === 'blocked') return { failed: result.reason };
      if (result.state === 'open') {
        if (result.note) await this.transition(id, { type: 'note', at: clock.now(), what: result.note });
        return 'open';
      }
      if (result.reason !== noted) {
        // Approvers hear of it (a link to approve, with dashboard:); only queued, never waited on.
        if (point === 'approval' && noted === undefined)
          await this.#deps.notify?.(id, 'deployment.waiting_approval').catch(() => undefined);
        noted = result.reason;
        await this.transition(id, { type: 'note', at: clock.now(), what: `waiting: ${result.reason}` });
      }
      // A gate that knows when it opens (a deploy window) is asked again then, but at least once a
      // minute so that an abort or an override is seen.
      const wait =
        result.until === undefined
          ? gates.pollMs
          : Math.min(Math.max(gates.pollMs, 60_000), Math.max(0, result.until - clock.now()));
      await clock.sleep(Math.max(1, wait), signal);
    }
  }

  /**
   * What the data plane's hosts report (a data plane of several hosts only): notes go to the
   * timeline; a host fault pauses or rolls back the deployment, naming the host.
   */
  async #hostEvents(id: string, state: StoredState): Promise<'pending' | undefined> {
    const { dataPlane, clock } = this.#deps;
    if (!dataPlane.hostEvents || state.engine.status !== 'running') return undefined;
    const events = await dataPlane.hostEvents(state.ctx.env).catch(() => []);
    for (const e of events.filter((e) => e.kind === 'note'))
      await this.transition(id, { type: 'note', at: clock.now(), what: e.what });
    const fault = events.find((e) => e.kind !== 'note');
    if (!fault) return undefined;
    if (fault.kind === 'pause') await this.transition(id, { type: 'pause', at: clock.now(), by: fault.what });
    else
      await this.transition(id, {
        type: 'unhealthy',
        at: clock.now(),
        outcome: { reason: fault.what, rule: 'hostFailure' },
      });
    return 'pending';
  }

  /** Traffic back to the stable release first (instantly), then the new instances stop. */
  async #rollback(ctx: DeploymentContext): Promise<void> {
    const { dataPlane } = this.#deps;
    const desired = await dataPlane.desired(ctx.env);
    if (!ctx.stable) {
      // A redeploy of the release the environment already runs has no stable to return to and
      // nothing to undo: removing the environment would take down what was serving before.
      const current = (await this.#deps.store.listEnvironments(ctx.app)).find((e) => e.name === ctx.env);
      if (desired && current?.releaseId !== ctx.release.id) await dataPlane.deleteEnv(ctx.env);
      return;
    }
    if (desired?.releases.some((r) => r.release === ctx.stable?.id)) {
      await dataPlane.setWeights(ctx.env, weightsFor(ctx, 0)).catch(() => undefined);
    }
    await dataPlane.putEnv(
      ctx.env,
      await this.#desired(ctx, { weight: 0, newCount: 0, stableCount: ctx.run.instances }),
    );
  }

  async #finish(d: Deployment, state: StoredState): Promise<void> {
    const { store } = this.#deps;
    if (state.engine.status === 'succeeded')
      await store.setEnvironmentRelease(d.app, d.env, d.releaseId, d.createdBy);
    await store.appendAudit({
      actor: d.createdBy,
      action: `deployment.${state.engine.status}`,
      target: d.id,
      data: { env: d.env, release: d.releaseId, outcome: state.engine.outcome },
    });
    await this.#measureRevert(d, state);
    if (this.#deps.reporter) {
      const status = state.engine.status as 'succeeded' | 'rolled_back' | 'failed' | 'aborted';
      const what = await this.#deps.reporter.finished(d.id, state.ctx, status, state.engine.outcome?.reason);
      // The deployment is over: the line goes on its event stream, not into its (final) state.
      await store.appendEvent({
        deploymentId: d.id,
        app: d.app,
        env: d.env,
        type: 'timeline',
        at: new Date(this.#deps.clock.now()).toISOString(),
        data: { what: this.#redacted(what), status: state.engine.status },
      });
    }
    // A notification that cannot be queued never holds a deployment up: the dispatcher's sweep
    // queues it from the record later (src/notify/outbox.ts).
    await this.#deps.notify?.(d.id).catch(() => undefined);
    await store.releaseLock(lockName(d.app, d.env), Executor.owner(d.id));
  }

  /**
   * A finished revert records how long it took: a redeploy rollback from its creation, a rollback
   * of a deployment in flight from the moment rolling back began (the entry before the last on its
   * time line). A traffic-switch rollback measures itself (src/app/rollback.ts).
   */
  async #measureRevert(d: Deployment, state: StoredState): Promise<void> {
    const { engine } = state;
    const now = this.#deps.clock.now();
    const mark = state.rollback;
    let measured: { kind: 'in-flight' | 'redeploy'; ms: number; by: string } | undefined;
    if (mark?.kind === 'redeploy' && engine.status === 'succeeded')
      measured = { kind: 'redeploy', ms: now - Date.parse(d.createdAt), by: mark.by };
    else if (!mark && engine.status === 'rolled_back' && state.ctx.stable) {
      const began = engine.timeline.at(-2)?.at;
      if (began !== undefined)
        measured = { kind: 'in-flight', ms: now - began, by: engine.outcome?.by ?? 'slipway' };
    }
    if (measured)
      await recordRevertTime(this.#deps.store, { app: d.app, env: d.env, deployment: d.id, ...measured });
  }
}

/**
 * A canary step `flag: PERCENT`: the flag's split moved to that share of users (a rollout by
 * `slipway`, versioned and audited). Idempotent: a flag already at the share is left as it is.
 */
async function moveFlag(
  store: Store,
  id: string,
  ctx: DeploymentContext,
  key: string,
  percent: number,
): Promise<void> {
  const current = await store.flags.getFlag(ctx.app, ctx.env, key);
  if (!current?.definition)
    throw new AppError(
      'FLAG_NOT_FOUND',
      `the canary moves flag "${key}", which ${ctx.env} does not have; create it with \`slipway flags set ${key} --env ${ctx.env}\``,
    );
  const moved = withRollout(current.definition, { percent });
  if (isDeepStrictEqual(moved, current.definition)) return;
  await store.flags.putFlags([
    {
      app: ctx.app,
      env: ctx.env,
      key,
      definition: moved,
      action: 'rollout',
      by: 'slipway',
      reason: `deployment ${id}: canary step to ${percent}% of users`,
      ifVersion: current.version,
    },
  ]);
}

/**
 * `rollbackIf.action: flag-off`: the flag is killed (everyone gets its off variant) before traffic
 * moves, as the user `slipway`, with the deployment as the reason; how long it took and what became
 * of it are a deployment event. It never holds the rollback up: a flag that is gone or already off
 * is noted and traffic moves anyway.
 */
async function flagOff(
  store: Store,
  id: string,
  flag: string,
  ctx: DeploymentContext,
  now: () => number,
): Promise<void> {
  const started = now();
  let data: Record<string, unknown>;
  try {
    const current = await store.flags.getFlag(ctx.app, ctx.env, flag);
    if (!current?.definition) data = { flag, done: false, why: `no flag "${flag}" in ${ctx.env}` };
    else {
      const [stored] = await store.flags.putFlags([
        {
          app: ctx.app,
          env: ctx.env,
          key: flag,
          definition: withKill(current.definition),
          action: 'kill',
          by: 'slipway',
          reason: `automatic rollback of deployment ${id} (rollbackIf action flag-off)`,
          ifVersion: current.version,
        },
      ]);
      data = { flag, done: true, version: stored?.version, killMs: now() - started };
    }
  } catch (error) {
    data = { flag, done: false, why: (error as Error).message };
  }
  await store.appendEvent({
    deploymentId: id,
    app: ctx.app,
    env: ctx.env,
    type: 'flag-off',
    at: new Date(now()).toISOString(),
    data,
  });
}

/** The index of the plan's first step that changes the data plane. */
function firstTrafficStep(plan: readonly PlanStep[]): number {
  // Migrations change what the running release reads: they wait for the same gates as traffic.
  return plan.findIndex(
    (s) => s.kind === 'migrate' || s.kind === 'start' || s.kind === 'shift' || s.kind === 'scale',
  );
}

export const lockName = (app: string, env: string): string => `deploy:${app}/${env}`;
/** The owner-id prefix of a lock taken only to learn whether anyone holds it (src/engine/reconcile.ts). */
export const LOCK_PROBE = 'probe:';
/** A deploy lock lives this long without renewal; the executor renews it every turn and every 15 s. */
const LOCK_TTL_MS = 60_000;
