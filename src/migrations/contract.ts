/**
 * The contract phase: the go/no-go, apart from the deployment's, for the contract migrations a
 * deployment held back (they break the release before). It is asked for once the release that
 * brought them is live and its deployment has finished (the release proved itself), and runs only
 * when no release the environment may serve still needs the old schema. Both the decision and the
 * run are audited. Reached from `slipway migrations contract ENV` and
 * `POST /api/environments/{env}/migrations/contract`.
 */
import { join } from 'node:path';
import { AppError } from '../domain/errors.ts';
import { isTerminal } from '../domain/types.ts';
import { artifactPath } from '../releases/artifacts.ts';
import { type MigrationDeps, type RunResult, refuseContract, runMigrations } from './deploy.ts';
import { listMigrations } from './files.ts';
import { DEFAULT_PG_VERSION, lintSql } from './lint/lint.ts';
import { loadParser } from './parse.ts';
import { appliedRows } from './postgres/apply.ts';
import { connect } from './postgres/connect.ts';
import { dbTarget, requireMigrations } from './service.ts';

export interface ContractDecision {
  readonly user: string;
  readonly reason?: string;
  /** How the user acted (cli, api…), kept in the audit entry. */
  readonly via: string;
  /**
   * Whether the user may decide here. The CLI checks slipway.yaml's `approval.role` and `users:`;
   * the API has already authorized the `approve` grant on the environment.
   */
  readonly checkRole: boolean;
}

export interface ContractOutcome extends RunResult {
  readonly release: string;
}

/** The live release of `env` and the pending contract files it holds, or a one-line refusal. */
export async function pendingContract(deps: MigrationDeps & { readonly dataDir: string }, env: string) {
  const m = requireMigrations(deps.config);
  const state = (await deps.store.listEnvironments(deps.config.app)).find((e) => e.name === env);
  const live = state?.releaseId ? await deps.store.findRelease(deps.config.app, state.releaseId) : undefined;
  if (!live)
    throw new AppError(
      'MIGRATION_REFUSED',
      `${env} serves no release yet: the contract phase follows a deployment that went live; deploy first`,
    );
  const running = (await deps.store.listDeployments({ app: deps.config.app, env, limit: 5 })).find(
    (d) => !isTerminal(d.status),
  );
  if (running)
    throw new AppError(
      'MIGRATION_REFUSED',
      `${env} has deployment ${running.id} still ${running.status}: the contract phase waits until the release has proven itself; let it finish (\`slipway status\`)`,
    );
  const dir = artifactPath(deps.dataDir, live.digest);
  const files = listMigrations(join(dir, m.dir));
  const client = await connect(dbTarget(deps.config, env, await deps.vars(env)));
  let done: Set<string>;
  try {
    done = new Set((await appliedRows(client)).map((r) => r.name));
  } finally {
    await client.end().catch(() => {});
  }
  await loadParser();
  const opts = { pgVersion: m.pgVersion ?? DEFAULT_PG_VERSION, runnerSetsLockTimeout: !m.command };
  const contract = files
    .filter((f) => !done.has(f.name))
    .map((f) => lintSql(f.name, f.sql, opts))
    .filter((r) => r.kind === 'contract');
  return { live, dir, contract };
}

/** Record the go of `decision.user` and run the held contract migrations of `env`'s live release. */
export async function approveContract(
  deps: MigrationDeps & { readonly dataDir: string },
  env: string,
  decision: ContractDecision,
  log: (line: string) => void = () => {},
): Promise<ContractOutcome> {
  const { live, dir, contract } = await pendingContract(deps, env);
  if (contract.length === 0)
    throw new AppError(
      'MIGRATION_REFUSED',
      `${env}'s live release ${live.version} holds no pending contract migration; nothing to approve`,
    );
  if (decision.checkRole) refuseApprover(deps, env, decision.user);
  // Refused before the decision is recorded: a go that cannot run is not a decision.
  await refuseContract(deps.store, deps.config.app, env, contract);
  const target = `${deps.config.app}/${env}`;
  await deps.store.appendAudit({
    actor: decision.user,
    action: 'migrations.contract.approved',
    target,
    data: {
      release: live.version,
      files: contract.map((c) => c.file),
      via: decision.via,
      ...(decision.reason && { reason: decision.reason }),
    },
  });
  const result = await runMigrations(
    deps,
    env,
    { version: live.version, dir },
    decision.user,
    log,
    'contract',
  );
  return { ...result, release: live.version };
}

function refuseApprover(deps: MigrationDeps, env: string, user: string): void {
  const policy = deps.config.environments[env]?.approval;
  if (!policy) return;
  const roles = deps.config.users?.[user];
  if (!roles?.includes(policy.role))
    throw new AppError(
      'APPROVAL_REFUSED',
      `user "${user}" does not hold the role ${policy.role} that ${env} approvals need (their roles: ${(roles ?? []).join(', ') || 'none'}); a holder of ${policy.role} approves the contract phase, or add the role under users: in slipway.yaml`,
    );
}
