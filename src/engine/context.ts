/**
 * What a deployment needs to know besides its state machine, fixed when it is created and stored
 * with it: which release replaces which, how to run them, where the environment listens.
 * Config values are resolved at creation; secrets are not kept here: only their pinned versions,
 * and the executor reads the values right before each apply (`SecretVars`).
 */
import { join } from 'node:path';
import type { EnvBodyInput, RouterDriver } from '../domain/data-plane.ts';
import type { PerfLimits } from './perf-judge.ts';

export interface ReleaseRun {
  /** Release id, used as its name in the data plane. */
  readonly id: string;
  readonly version: string;
  readonly digest: string;
  /** Folder of the release's immutable files. */
  readonly cwd: string;
  /** An image release: the image by digest (`registry/name@sha256:…`), run on the container runtime. */
  readonly image?: string;
  /**
   * The stable release only: the plain config and secret versions of the deployment that shipped
   * it, so its instances keep (or, on rollback, get back) exactly what they ran with.
   */
  readonly vars?: Readonly<Record<string, string>>;
  readonly secretPins?: Readonly<Record<string, number>>;
  readonly sensitiveKeys?: readonly string[];
}

export interface DeploymentContext {
  readonly app: string;
  readonly env: string;
  readonly release: ReleaseRun;
  /** The release serving before this deployment; null for a first deployment. */
  readonly stable: ReleaseRun | null;
  readonly run: {
    readonly command: string;
    readonly instances: number;
    readonly health: {
      readonly path: string;
      readonly intervalMs: number;
      readonly timeoutMs: number;
      /** Which answers count as healthy (slipway.yaml run.health.expect); default 2xx/3xx. */
      readonly expect?: number | string;
    };
    /** Folder inside the release the command runs in (slipway.yaml run.cwd); default its root. */
    readonly cwd?: string;
    readonly startTimeoutMs: number;
    readonly stopTimeoutMs: number;
    /** slipway.yaml run.limits, enforced by the container runtime. */
    readonly limits?: { readonly memoryBytes?: number; readonly cpus?: number };
  };
  /** Plain config values of the new release; never secrets (those are resolved per apply). */
  readonly vars: Readonly<Record<string, string>>;
  /** Version of each secret the new release runs with; the values are read when applied. */
  readonly secretPins?: Readonly<Record<string, number>>;
  /**
   * Plain values named like credentials (DB_PASSWORD from a .env file): kept out of the stored
   * state like secrets, by name only, and read from their source when applied.
   */
  readonly sensitiveKeys?: readonly string[];
  readonly listen: { readonly host: string; readonly port: number };
  /** The traffic driver of the environment (slipway.yaml router.driver); stored contexts without one used builtin. */
  readonly driver?: RouterDriver;
  readonly stickiness?: { readonly kind: 'header' | 'cookie'; readonly name: string };
  readonly previewHeader: string;
  /** Blue-green: how long the previous release stays warm after the switch. */
  readonly warmForMs: number;
  readonly smoke: readonly {
    readonly get: string;
    readonly expect?: number | string;
    readonly contains?: string;
    /** Tries after the first failure (default 2) and the pause between them in ms (default 1000). */
    readonly retries?: number;
    readonly delayMs?: number;
  }[];
  /**
   * The environment's check commands (slipway.yaml `checks`), run once the release serves it
   * (src/engine/checks.ts). Stored contexts from before checks have none.
   */
  readonly checks?: readonly { readonly name: string; readonly run: string; readonly timeoutMs: number }[];
  /**
   * The performance step (slipway.yaml `performance`, src/engine/performance.ts); none in stored
   * contexts from before it.
   */
  readonly performance?: {
    readonly rate: number;
    readonly durationMs: number;
    readonly connections: number;
    readonly endpoints: readonly string[];
    /** The environment's `url`: endpoints may name it besides the router's address. */
    readonly envUrl?: string;
    readonly limits: PerfLimits;
  };
  /** Analysis profile name (`default` or `fast`). */
  readonly profile: string;
  /** What to do when analysis cannot decide by the end of its step. */
  readonly inconclusive: 'wait' | 'pause' | 'fail';
  /** slipway.yaml `rollbackIf.action: flag-off`: the flag a rollback turns off before traffic moves. */
  readonly flagOff?: { readonly flag: string };
}

export const DEFAULT_PREVIEW_HEADER = 'x-slipway-release';

type ReleaseBody = EnvBodyInput['releases'][number];

/** Secret values by release id, read from the secret store right before an apply; never stored. */
export type SecretVars = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The pins a release runs with: its own for the new release, the shipping deployment's for the stable one. */
export function pinsOf(ctx: DeploymentContext, release: ReleaseRun): Readonly<Record<string, number>> {
  if (release.id === ctx.release.id) return ctx.secretPins ?? {};
  return release.secretPins ?? ctx.secretPins ?? {};
}

export function sensitiveKeysOf(ctx: DeploymentContext, release: ReleaseRun): readonly string[] {
  if (release.id === ctx.release.id) return ctx.sensitiveKeys ?? [];
  return release.sensitiveKeys ?? ctx.sensitiveKeys ?? [];
}

function releaseBody(
  ctx: DeploymentContext,
  release: ReleaseRun,
  weight: number,
  count: number,
  retireAt: string | undefined,
  secrets: SecretVars,
): ReleaseBody {
  return {
    release: release.id,
    weight,
    app: ctx.app,
    cwd: ctx.run.cwd ? join(release.cwd, ctx.run.cwd) : release.cwd,
    command: ctx.run.command,
    vars: { ...(release.vars ?? ctx.vars), ...(secrets[release.id] ?? {}) },
    ...(secrets[release.id] && { secretKeys: Object.keys(secrets[release.id] ?? {}).sort() }),
    count,
    health: ctx.run.health,
    startTimeoutMs: ctx.run.startTimeoutMs,
    stopTimeoutMs: ctx.run.stopTimeoutMs,
    ...(release.image !== undefined && { image: release.image }),
    ...(ctx.run.limits !== undefined && { limits: ctx.run.limits }),
    ...(retireAt !== undefined && { retireAt }),
  };
}

export interface Shape {
  /** New release: weight 0–100 and instance count (0 = not running). */
  readonly weight: number;
  readonly newCount: number;
  /** Stable release's instance count (0 = stopped); its weight is 100 − weight. */
  readonly stableCount: number;
  /** Keep the stable release warm (weight 0) until this time, then the agent stops it. */
  readonly stableRetireAt?: string;
}

/** The desired state of the environment for one shape of the deployment. */
export function desiredBody(ctx: DeploymentContext, shape: Shape, secrets: SecretVars = {}): EnvBodyInput {
  const releases: ReleaseBody[] = [];
  if (ctx.stable && shape.stableCount > 0) {
    releases.push(
      releaseBody(
        ctx,
        ctx.stable,
        100 - shape.weight,
        shape.stableCount,
        shape.weight === 100 ? shape.stableRetireAt : undefined,
        secrets,
      ),
    );
  }
  if (shape.newCount > 0)
    releases.push(
      releaseBody(
        ctx,
        ctx.release,
        releases.length === 0 ? 100 : shape.weight,
        shape.newCount,
        undefined,
        secrets,
      ),
    );
  return {
    ...(ctx.driver && { driver: ctx.driver }),
    listen: ctx.listen,
    releases,
    previewHeader: ctx.previewHeader,
    ...(ctx.stickiness && { stickiness: ctx.stickiness }),
  };
}

export function weightsFor(ctx: DeploymentContext, weight: number): Record<string, number> {
  return ctx.stable ? { [ctx.stable.id]: 100 - weight, [ctx.release.id]: weight } : { [ctx.release.id]: 100 };
}
