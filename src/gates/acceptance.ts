/**
 * Acceptance: after a release succeeds on an environment that asks for it (`acceptance: { by:
 * role }`), a holder of the role accepts or rejects it there; the next environment takes only an
 * accepted *digest*. Each decision is an audit entry (who, when, why) whose target names the
 * environment and the digest, so the latest decision on one digest is one index seek.
 */
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import type { Release } from '../domain/types.ts';
import type { Store } from '../store/contract.ts';
import type { Users } from './approvals.ts';
import { succeededDigests } from './promotion.ts';

export const ACCEPT_ACTION = 'release.accept';
export const REJECT_ACTION = 'release.reject';

export interface Acceptance {
  readonly env: string;
  readonly decision: 'accept' | 'reject';
  readonly by: string;
  readonly at: string;
  readonly version: string;
  readonly digest: string;
  readonly reason: string | null;
}

const targetOf = (app: string, env: string, digest: string) => `${app}/${env}#${digest}`;

/** The latest decision on `digest` on `env`, or null when none was made. */
export async function acceptanceOf(
  store: Store,
  app: string,
  env: string,
  digest: string,
): Promise<Acceptance | null> {
  const entry = await store.latestAudit({
    actions: [ACCEPT_ACTION, REJECT_ACTION],
    target: targetOf(app, env, digest),
  });
  if (!entry) return null;
  const data = (entry.data ?? {}) as { version?: string; reason?: string | null };
  return {
    env,
    decision: entry.action === ACCEPT_ACTION ? 'accept' : 'reject',
    by: entry.actor,
    at: entry.at,
    version: data.version ?? '',
    digest,
    reason: data.reason ?? null,
  };
}

/** Why `env` may not take `release` for want of acceptance where it comes from, or null. */
export async function acceptanceProblem(
  store: Store,
  config: Pick<SlipwayConfig, 'app' | 'environments'>,
  env: string,
  release: Pick<Release, 'version' | 'digest'>,
): Promise<string | null> {
  const from = config.environments[env]?.after;
  const policy = from ? config.environments[from]?.acceptance : undefined;
  if (!from || !policy) return null;
  const a = await acceptanceOf(store, config.app, from, release.digest);
  if (a?.decision === 'accept') return null;
  if (a?.decision === 'reject')
    return `release ${release.version} was rejected on ${from} by ${a.by}${a.reason ? ` ("${a.reason}")` : ''}; ${env} takes only releases accepted there — fix it and ship a new version`;
  return `release ${release.version} has not been accepted on ${from} yet; a holder of the role ${policy.by} accepts it there (\`slipway accept ${release.version} --env ${from}\`, or Accept on the dashboard)`;
}

/**
 * Record an acceptance or a rejection of `release` on `env` by `user`. Refused (nothing written)
 * when `env` asks for no acceptance, the release has not succeeded there, the user does not hold
 * the role, or a rejection has no reason.
 */
export async function decideAcceptance(input: {
  readonly store: Store;
  readonly config: Pick<SlipwayConfig, 'app' | 'environments'>;
  readonly users: Users;
  readonly env: string;
  readonly release: Release;
  readonly user: string;
  readonly decision: 'accept' | 'reject';
  readonly reason?: string | undefined;
}): Promise<Acceptance> {
  const { store, config, env, release, user, decision } = input;
  const policy = config.environments[env]?.acceptance;
  if (!policy)
    throw new AppError(
      'APPROVAL_REFUSED',
      `environment ${env} asks for no acceptance (no acceptance: in slipway.yaml); add acceptance: { by: approver } to it to have releases accepted there`,
    );
  const roles = input.users[user] ?? [];
  if (!roles.includes(policy.by) && !roles.includes('admin'))
    throw new AppError(
      'APPROVAL_REFUSED',
      `user "${user}" does not hold the role ${policy.by} that accepting on ${env} needs (their roles there: ${roles.join(', ') || 'none'}); grant it with \`slipway user grant ${user} --env ${env} --role ${policy.by}\``,
    );
  const reason = input.reason?.trim() || null;
  if (decision === 'reject' && !reason)
    throw new AppError('USAGE', `a rejection needs a reason: --reason "what is wrong"`);
  const done = await succeededDigests(store, config.app, env);
  if (!done.has(release.digest))
    throw new AppError(
      'APPROVAL_REFUSED',
      `release ${release.version} has not succeeded on ${env} yet, so there is nothing to accept; deploy it there first (\`slipway deploy ${release.version} --env ${env}\`)`,
    );
  await store.appendAudit({
    actor: user,
    action: decision === 'accept' ? ACCEPT_ACTION : REJECT_ACTION,
    target: targetOf(config.app, env, release.digest),
    data: { env, version: release.version, release: release.id, digest: release.digest, reason },
  });
  return (await acceptanceOf(store, config.app, env, release.digest)) as Acceptance;
}
