/**
 * The Store contract: everything slipway must remember — releases, environments, deployments with
 * their steps and events, approvals, audit entries and locks. Two implementations pass one contract
 * suite: SQLite (embedded default, a file under .slipway/) and PostgreSQL (by URL).
 */
import type {
  ApiToken,
  EnvironmentOverview,
  Grant,
  NewApiToken,
  NewSession,
  Session,
  User,
} from '../domain/auth.ts';
import type { PerformanceRecords } from '../domain/performance.ts';
import type {
  Approval,
  AuditEntry,
  ChecklistTick,
  Deployment,
  DeploymentEvent,
  DeploymentStatus,
  EnvironmentState,
  NewApproval,
  NewAuditEntry,
  NewChecklistTick,
  NewDeployment,
  NewRelease,
  Release,
} from '../domain/types.ts';
import type { FlagStore } from '../flags/contract.ts';
import type { ApproveLinkStore } from '../notify/approve-link.ts';
import type { NotificationQueue } from '../notify/contract.ts';

export interface LockOwner {
  /** Unique per holder, e.g. `deploy-<id>`. */
  readonly id: string;
  readonly pid: number;
  readonly host: string;
}

export type LockResult =
  | { readonly acquired: true; readonly recoveredFrom?: LockOwner }
  | { readonly acquired: false; readonly holder: LockOwner; readonly expiresAt: number };

export interface DeploymentFilter {
  readonly app?: string;
  readonly env?: string;
  /** Only these environments (a user who may read some of them). */
  readonly envs?: readonly string[];
  readonly status?: DeploymentStatus;
  readonly createdBy?: string;
  readonly limit?: number;
  /** Deployments created strictly before this ISO time (paging backwards). */
  readonly before?: string;
  /** With `before`: also those created at exactly `before` whose id sorts below this one. */
  readonly beforeId?: string;
}

export interface DeploymentFacts {
  readonly id: string;
  readonly env: string;
  readonly releaseId: string;
  readonly fromReleaseId: string | null;
  readonly status: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  /** A rollback deployment's kind (switch, redeploy, automatic); null for a change. */
  readonly rollbackKind: string | null;
}

/** One period's deployment facts, and when each of their releases was registered. */
export interface DeploymentFactSet {
  /** In no particular order. */
  readonly deployments: readonly DeploymentFacts[];
  /** Release id → registration time (ISO); a release that is gone is missing. */
  readonly releaseCreatedAt: ReadonlyMap<string, string>;
}

export interface OverviewFilter {
  readonly app?: string;
  /** Apps strictly after this name (paging forwards). */
  readonly afterApp?: string;
  /** How many apps (each with all its environments); default 100. */
  readonly limitApps?: number;
}

export interface AuditQuery {
  /** Entries of one of these actions, e.g. `['environment.rollback']`. */
  readonly actions: readonly string[];
  /**
   * Only entries about this environment, of any app: those whose target is `<app>/<env>`, the way
   * environment-wide entries (rollback switches, promotion gates) name it.
   */
  readonly env?: string;
  /** Only entries whose target is exactly this, e.g. `shop/staging` (one index seek per action). */
  readonly target?: string;
  /** Only entries older than this one (paging backwards). */
  readonly beforeSeq?: number;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** The store's identity: a random id written into it when it was created (kept by backups). */
  readonly id: string;

  /** Register a release; an existing identical one is returned with `created: false`. Throws RELEASE_CONFLICT when the version exists with another digest. */
  putRelease(release: NewRelease): Promise<{ release: Release; created: boolean }>;
  /** By id, exact version, or digest (full or a prefix of at least 8 hex characters). */
  findRelease(app: string, ref: string): Promise<Release | undefined>;
  listReleases(app: string, limit?: number): Promise<readonly Release[]>;
  /** Remove a release registration by id; false when there was none. Callers check it is unused. */
  deleteRelease(app: string, id: string): Promise<boolean>;

  listEnvironments(app: string): Promise<readonly EnvironmentState[]>;
  /** Record that `env` now runs `releaseId` (the one it ran before becomes `previousReleaseId`). */
  setEnvironmentRelease(
    app: string,
    env: string,
    releaseId: string | null,
    by: string,
  ): Promise<EnvironmentState>;

  createDeployment(deployment: NewDeployment): Promise<Deployment>;
  getDeployment(id: string): Promise<Deployment | undefined>;
  /** Optimistic update: fails with `false` when the stored revision is not `revision`. */
  updateDeployment(
    id: string,
    revision: number,
    patch: Partial<Pick<Deployment, 'status' | 'reason' | 'state' | 'finishedAt'>>,
  ): Promise<boolean>;
  listDeployments(filter: DeploymentFilter): Promise<readonly Deployment[]>;

  /**
   * DORA's view of one app's deployments to `env` created at or after `since` (ISO): no state, only
   * the facts and whether each is a rollback, and the registration times of their releases.
   */
  listDeploymentFacts(app: string, env: string, since: string): Promise<DeploymentFactSet>;

  /** How many deployments each app and environment has per status (one grouped query, for /metrics). */
  countDeployments(): Promise<
    readonly { readonly app: string; readonly env: string; readonly status: string; readonly count: number }[]
  >;

  appendEvent(event: Omit<DeploymentEvent, 'id'>): Promise<DeploymentEvent>;
  /** Events of a deployment (or of all, when deploymentId is undefined) with id > afterId, oldest first. */
  listEvents(
    deploymentId: string | undefined,
    afterId?: number,
    limit?: number,
  ): Promise<readonly DeploymentEvent[]>;

  addApproval(approval: NewApproval): Promise<Approval>;
  listApprovals(deploymentId: string): Promise<readonly Approval[]>;

  /** Tick a manual checklist item; ticking it again keeps the first tick (`created: false`). */
  tickChecklistItem(tick: NewChecklistTick): Promise<{ tick: ChecklistTick; created: boolean }>;
  /** The ticks of a deployment, oldest first. */
  listChecklistTicks(deploymentId: string): Promise<readonly ChecklistTick[]>;

  /** Append to the hash-chained audit log; safe when several processes append at once. */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  listAudit(afterSeq?: number, limit?: number): Promise<readonly AuditEntry[]>;
  /** The entries about one target (a deployment id, `<app>/<env>`…) with seq > afterSeq, oldest first. */
  listAuditByTarget(target: string, afterSeq?: number, limit?: number): Promise<readonly AuditEntry[]>;
  /** The newest entry matching the query, or undefined. */
  latestAudit(query: AuditQuery): Promise<AuditEntry | undefined>;

  /**
   * Take the named lock for `ttlMs` unless a live holder has it. A holder whose lease expired, or
   * whose process is gone on this host, is replaced (and named in `recoveredFrom`).
   */
  acquireLock(name: string, owner: LockOwner, ttlMs: number): Promise<LockResult>;
  /** Extend a held lease; false when the lock is no longer ours. */
  renewLock(name: string, owner: LockOwner, ttlMs: number): Promise<boolean>;
  releaseLock(name: string, owner: LockOwner): Promise<void>;

  /** Every app's environments with their release, apps in name order, paged by app. */
  environmentOverview(filter: OverviewFilter): Promise<readonly EnvironmentOverview[]>;

  /** Create a user (an existing one is returned unchanged). */
  putUser(name: string, by: string): Promise<User>;
  getUser(name: string): Promise<User | undefined>;
  listUsers(): Promise<readonly User[]>;
  /** Add (`present` true) or remove a role of a user on an environment; both idempotent. */
  setGrant(grant: Grant, present: boolean): Promise<void>;

  /** Store a new token by its hash; the secret itself is never stored. */
  createToken(token: NewApiToken): Promise<ApiToken>;
  findToken(by: { hash: string } | { id: string }): Promise<ApiToken | undefined>;
  listTokens(user?: string): Promise<readonly ApiToken[]>;
  /** Revoke a token and end its sessions; false when it was unknown or already revoked. */
  revokeToken(id: string): Promise<boolean>;

  createSession(session: NewSession): Promise<Session>;
  findSession(idHash: string): Promise<Session | undefined>;
  /** End a session (and sweep expired ones). */
  deleteSession(idHash: string): Promise<void>;

  /** Feature flags per environment, every version kept and audited (src/flags/contract.ts). */
  readonly flags: FlagStore;

  /** The queue of notifications to deliver, with its dead-letter list (src/notify/contract.ts). */
  readonly notifications: NotificationQueue;

  /** The performance step's figures per release and environment (src/domain/performance.ts). */
  readonly performance: PerformanceRecords;
  /** Approve links' signing key and single use (src/notify/approve-link.ts). */
  readonly approveLinks: ApproveLinkStore;

  /** The schema version this store is at. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
