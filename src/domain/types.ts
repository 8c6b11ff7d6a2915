/**
 * slipway's domain data. Readonly, plain, no I/O: the store, the API and the CLI map to and from
 * these at their edges.
 */

export const CI_RESULTS = ['passed', 'failed', 'unknown'] as const;
export type CiResult = (typeof CI_RESULTS)[number];

/** What a CI run's test report (JUnit XML) says, as a release keeps it. */
export interface TestReport {
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
  /** Names of failing or erroring tests, the first 20 (src/ci/junit.ts). */
  readonly failed: readonly string[];
}

/** An immutable, content-addressed build of an app. */
export interface Release {
  readonly id: string;
  readonly app: string;
  readonly version: string;
  /** `sha256:<hex>` over the release's files. */
  readonly digest: string;
  readonly commit: string | null;
  readonly ci: CiResult;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly files: number;
  readonly bytes: number;
  readonly notes: string | null;
  /** The test report CI sent with it (`--ci-report junit.xml`), if any. */
  readonly report?: TestReport | null;
}
export type NewRelease = Omit<Release, 'id' | 'createdAt'>;

/** Which release an environment runs now, and which before. */
export interface EnvironmentState {
  readonly app: string;
  readonly name: string;
  readonly releaseId: string | null;
  readonly previousReleaseId: string | null;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

export const DEPLOYMENT_STATUSES = [
  'pending',
  'running',
  'paused',
  'waiting',
  'succeeded',
  'rolled_back',
  'aborted',
  'failed',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

const TERMINAL: ReadonlySet<DeploymentStatus> = new Set(['succeeded', 'rolled_back', 'aborted', 'failed']);
/** A terminal deployment never changes again. */
export function isTerminal(status: DeploymentStatus): boolean {
  return TERMINAL.has(status);
}

export interface Deployment {
  readonly id: string;
  readonly app: string;
  readonly env: string;
  readonly releaseId: string;
  readonly fromReleaseId: string | null;
  readonly strategy: string;
  readonly status: DeploymentStatus;
  readonly reason: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  /** The engine's plan and progress; opaque to the store. */
  readonly state: unknown;
  /** Bumped by every update, for optimistic concurrency. */
  readonly revision: number;
  /** The audit log's head when the deployment was created (null on an empty log), to detect a truncated log. */
  readonly auditHead?: { readonly seq: number; readonly hash: string } | null;
}
export type NewDeployment = Pick<
  Deployment,
  'app' | 'env' | 'releaseId' | 'fromReleaseId' | 'strategy' | 'createdBy' | 'state'
> & {
  readonly status?: DeploymentStatus;
  /** Chosen by the caller when it must know the id first (to take the environment's lock). */
  readonly id?: string;
};

export interface DeploymentEvent {
  readonly id: number;
  readonly deploymentId: string | null;
  readonly app: string;
  readonly env: string;
  readonly type: string;
  readonly at: string;
  readonly data: unknown;
}

export const DECISIONS = ['approve', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface Approval {
  readonly id: string;
  readonly deploymentId: string;
  readonly releaseId: string;
  readonly user: string;
  readonly decision: Decision;
  readonly reason: string | null;
  readonly at: string;
}
export type NewApproval = Omit<Approval, 'id' | 'at'>;

/** A manual checklist item ticked by a named user. */
export interface ChecklistTick {
  readonly deploymentId: string;
  /** The item's id in the deployment's checklist. */
  readonly item: string;
  readonly user: string;
  readonly note: string | null;
  readonly at: string;
}
export type NewChecklistTick = Omit<ChecklistTick, 'at'>;

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly data: unknown;
  readonly prevHash: string;
  readonly hash: string;
}
export type NewAuditEntry = Pick<AuditEntry, 'actor' | 'action' | 'target' | 'data'>;
