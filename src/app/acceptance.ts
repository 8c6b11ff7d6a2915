/**
 * Accepting or rejecting a release on an environment that asks for acceptance, whichever path it
 * comes from (the CLI in this process, the API, the dashboard): the same check, the same audit.
 */
import { type Acceptance, decideAcceptance } from '../gates/acceptance.ts';
import type { App } from './compose.ts';
import { requireRelease } from './deployments.ts';

export async function acceptRelease(
  app: App,
  env: string,
  releaseRef: string,
  user: string,
  decision: 'accept' | 'reject',
  reason?: string,
): Promise<Acceptance> {
  const config = app.requireEnv(env);
  const release = await requireRelease(app.store, config.app, releaseRef);
  // The server's grants when it passed them in, else slipway.yaml `users:`.
  const users = app.deps.users ? await app.deps.users(env) : (config.users ?? {});
  return decideAcceptance({ store: app.store, config, users, env, release, user, decision, reason });
}
