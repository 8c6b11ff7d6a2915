/**
 * The lifecycle rule: a release reaches an environment only after the same content (digest, not
 * version string) succeeded in the environment before it; a release whose CI failed or is unknown
 * is refused unless the environment sets `allowFailedCI`. `judgePromotion` decides (pure);
 * `checkPromotion` gathers the facts from the store.
 */
import type { SlipwayConfig } from '../config/schema.ts';
import type { Release } from '../domain/types.ts';
import type { Store } from '../store/contract.ts';
import { acceptanceProblem } from './acceptance.ts';

export type PromotionVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly rule: 'previous-environment' | 'ci' | 'acceptance';
      readonly reason: string;
      /** The environment the release must pass first. */
      readonly mustPass?: string;
    };

export function judgePromotion(input: {
  readonly env: string;
  readonly after: string | undefined;
  readonly allowFailedCI: boolean;
  readonly release: Pick<Release, 'version' | 'digest' | 'ci'>;
  /** Digests that succeeded in `after`. */
  readonly succeededBefore: ReadonlySet<string>;
}): PromotionVerdict {
  const { release, env, after } = input;
  if (release.ci !== 'passed' && !input.allowFailedCI) {
    return {
      ok: false,
      rule: 'ci',
      reason: `release ${release.version} has CI result "${release.ci}"; ${env} takes only releases whose CI passed (register a passing build, or set allowFailedCI: true on ${env})`,
    };
  }
  if (after !== undefined && !input.succeededBefore.has(release.digest)) {
    return {
      ok: false,
      rule: 'previous-environment',
      mustPass: after,
      reason: `release ${release.version} (${release.digest.slice(0, 19)}) has not succeeded in ${after}; deploy it to ${after} first (\`slipway deploy ${release.version} --env ${after}\`), then promote it with \`slipway promote --from ${after} --to ${env}\``,
    };
  }
  return { ok: true };
}

/** The digests that succeeded in `env`, from its finished deployments. */
export async function succeededDigests(
  store: Store,
  app: string,
  env: string,
  sinceMs?: number,
): Promise<Set<string>> {
  const done = await store.listDeployments({ app, env, status: 'succeeded', limit: 200 });
  const digests = new Set<string>();
  for (const d of done) {
    if (sinceMs !== undefined && Date.parse(d.finishedAt ?? d.updatedAt) < sinceMs) continue;
    const release = await store.findRelease(app, d.releaseId);
    if (release) digests.add(release.digest);
  }
  return digests;
}

export async function checkPromotion(
  store: Store,
  config: Pick<SlipwayConfig, 'app' | 'environments'>,
  env: string,
  release: Release,
): Promise<PromotionVerdict> {
  const envConfig = config.environments[env];
  const after = envConfig?.after;
  const verdict = judgePromotion({
    env,
    after,
    allowFailedCI: envConfig?.allowFailedCI === true,
    release,
    succeededBefore: after ? await succeededDigests(store, config.app, after) : new Set(),
  });
  if (!verdict.ok) return verdict;
  // Succeeding there is not enough where people must accept it there too.
  const unaccepted = await acceptanceProblem(store, config, env, release);
  if (unaccepted && after) return { ok: false, rule: 'acceptance', reason: unaccepted, mustPass: after };
  return verdict;
}
