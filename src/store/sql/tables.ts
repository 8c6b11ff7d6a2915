/** Row shapes of slipway's own tables, as Kysely sees them. JSON is kept as text on both backends. */
import type { Generated } from 'kysely';

export interface Tables {
  slipway_meta: { key: string; value: string };
  /** One row: renewed by triggers whenever a deployment or release DORA reads changes (migration 13). */
  dora_stamp: { id: number; stamp: string };
  releases: {
    id: string;
    app: string;
    version: string;
    digest: string;
    commit: string | null;
    ci: string;
    created_at: string;
    created_by: string;
    files: number;
    bytes: number;
    notes: string | null;
    /** The CI test report as JSON (TestReport), or null. */
    ci_report: string | null;
  };
  environments: {
    app: string;
    name: string;
    release_id: string | null;
    previous_release_id: string | null;
    updated_at: string | null;
    updated_by: string | null;
  };
  deployments: {
    id: string;
    app: string;
    env: string;
    release_id: string;
    from_release_id: string | null;
    strategy: string;
    status: string;
    reason: string | null;
    created_by: string;
    created_at: string;
    updated_at: string;
    finished_at: string | null;
    state: string;
    revision: number;
    audit_seq: number | null;
    audit_hash: string | null;
    /** The rollback mark's kind (switch, redeploy, automatic) of a rollback deployment; null otherwise. */
    rollback_kind: string | null;
  };
  events: {
    id: Generated<number>;
    deployment_id: string | null;
    app: string;
    env: string;
    type: string;
    at: string;
    data: string;
  };
  approvals: {
    id: string;
    deployment_id: string;
    release_id: string;
    user_name: string;
    decision: string;
    reason: string | null;
    at: string;
  };
  checklist_items: {
    deployment_id: string;
    item: string;
    user_name: string;
    note: string | null;
    at: string;
  };
  audit: {
    seq: number;
    at: string;
    actor: string;
    action: string;
    target: string;
    data: string;
    prev_hash: string;
    hash: string;
  };
  locks: {
    name: string;
    owner: string;
    pid: number;
    host: string;
    acquired_at: number;
    expires_at: number;
  };
  users: { name: string; created_at: string; created_by: string };
  grants: { user_name: string; env: string; role: string };
  api_tokens: {
    id: string;
    user_name: string;
    name: string;
    hash: string;
    created_at: string;
    expires_at: string | null;
    revoked_at: string | null;
  };
  sessions: {
    id_hash: string;
    user_name: string;
    token_id: string;
    csrf: string;
    created_at: string;
    expires_at: string;
  };
  flag_versions: {
    seq: Generated<number>;
    app: string;
    env: string;
    key: string;
    version: number;
    definition: string | null;
    action: string;
    by: string;
    reason: string | null;
    at: string;
  };
  approve_links: {
    nonce: string;
    deployment_id: string;
    expires_at: string;
    created_at: string;
    used_at: string | null;
    used_by: string | null;
  };
  notification_deliveries: {
    id: string;
    subscription: string;
    event: string;
    app: string;
    env: string;
    deployment_id: string | null;
    payload: string;
    status: string;
    attempts: number;
    next_attempt_at: string;
    lease_owner: string | null;
    lease_until: string | null;
    last_error: string | null;
    created_at: string;
    delivered_at: string | null;
  };
  perf_results: {
    deployment_id: string;
    app: string;
    env: string;
    release_id: string;
    version: string;
    measured_at: string;
    figures: string;
    baseline: string | null;
    verdict: string;
    summary: string;
  };
}
