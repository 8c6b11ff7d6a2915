/**
 * The Runtime contract: starting, stopping and watching the instances of a release. The embedded
 * default is `process` (child processes on this machine); `ssh` and `kubernetes` follow the same
 * contract. Operations are idempotent: starting an instance that already runs adopts it.
 */

export const INSTANCE_STATES = [
  'starting',
  'healthy',
  'unhealthy',
  'crashloop',
  'stopping',
  'stopped',
] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

export function isServing(state: InstanceState): boolean {
  return state === 'healthy';
}

/** What to run for one release in one environment. */
export interface InstanceSpec {
  readonly app: string;
  readonly env: string;
  readonly release: string;
  /** Folder holding the release's files; the command runs there. */
  readonly cwd: string;
  /** Shell command line, e.g. `node server.js`. PORT is added to `env`. */
  readonly command: string;
  /** Config and secrets, as environment variables. */
  readonly vars: Readonly<Record<string, string>>;
  /**
   * Names of `vars` that are secrets: their values must never reach a log file, so the runtime
   * redacts the instance's output as it is written (credential-named vars are treated the same).
   */
  readonly secretVars?: readonly string[];
  readonly count: number;
  readonly health: {
    readonly path: string;
    readonly intervalMs: number;
    readonly timeoutMs: number;
    /** Which answers count as healthy (src/domain/health-status.ts); default 2xx or 3xx. */
    readonly expect?: number | string | undefined;
  };
  /** How long an instance may take to become healthy before the start fails. */
  readonly startTimeoutMs: number;
  /** Grace between SIGTERM and SIGKILL. */
  readonly stopTimeoutMs: number;
  /**
   * The container image to run, by digest (`registry/name@sha256:…`): set, the release runs on the
   * container runtime (src/runtime/container/) and `command`, when not empty, overrides its CMD.
   */
  readonly image?: string | undefined;
  /** Names of the `vars` that are secrets: the container runtime hands them over as files, not env. */
  readonly secretKeys?: readonly string[] | undefined;
  /** Resource limits of each instance (slipway.yaml run.limits); the container runtime enforces them. */
  readonly limits?:
    | { readonly memoryBytes?: number | undefined; readonly cpus?: number | undefined }
    | undefined;
}

export interface Instance {
  readonly id: string;
  readonly release: string;
  readonly env: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number | null;
  readonly state: InstanceState;
  readonly restarts: number;
  readonly startedAt: string;
}

export interface Runtime {
  readonly name: string;
  /** Start `spec.count` instances and resolve once all are healthy; rejects (and stops them) otherwise, with their last log lines. */
  start(spec: InstanceSpec): Promise<readonly Instance[]>;
  /** Stop every instance of a release gracefully (SIGTERM, then SIGKILL after stopTimeoutMs). */
  stop(env: string, release: string): Promise<void>;
  list(env?: string): Promise<readonly Instance[]>;
  /** The last `lines` lines of output of a release's instances, oldest first. */
  logs(env: string, release: string, lines: number): Promise<readonly string[]>;
  close(): Promise<void>;
}
