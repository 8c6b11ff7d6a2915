/**
 * The GitHub Deployments reporter as the app composes it from slipway.yaml `github:` and the
 * GITHUB_TOKEN of the process that drives deployments (server or CLI). Without a token every
 * deployment says so in its timeline instead of reporting.
 */
import { createGithubReporter } from '../ci/github-deployments.ts';
import { lifecycleOrder } from '../config/lifecycle.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import type { DeploymentReporter } from '../engine/ports.ts';
import type { Store } from '../store/contract.ts';

export function githubReporterOf(
  config: SlipwayConfig,
  store: Store,
  processEnv: Readonly<Record<string, string | undefined>>,
): DeploymentReporter | undefined {
  const github = config.github;
  if (!github) return undefined;
  const token = processEnv.GITHUB_TOKEN;
  if (!token) {
    const note = async () =>
      'GitHub not told: slipway.yaml has github.repository but GITHUB_TOKEN is not set where deployments run';
    return { name: 'github', started: note, finished: note };
  }
  const last = lifecycleOrder(config).at(-1);
  return createGithubReporter({
    repository: github.repository,
    ...(github.api !== undefined && { api: github.api }),
    token,
    commitOf: async (ctx) => (await store.findRelease(ctx.app, ctx.release.id))?.commit ?? null,
    urlOf: (ctx) => config.environments[ctx.env]?.url,
    isProduction: (env) => env === last,
  });
}
