/**
 * Where each environment is served, for `deploy` and `status` ("staging → http://127.0.0.1:4101"):
 * from a deployment's stored context, or from what the running agent routes.
 */

import { join } from 'node:path';
import { connectLocalAgent } from '../agent/client.ts';
import { addressOf } from '../domain/address.ts';
import type { Deployment } from '../domain/types.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';

/** The address a deployment serves its environment on (from its stored context). */
export function deploymentAddress(d: Deployment): string | undefined {
  const listen = storedStateOrUndefined(d)?.ctx.listen;
  return listen ? addressOf(listen) : undefined;
}

/** Env → address of every environment the local agent routes; empty when no agent answers. */
export async function servedAddresses(dataDir: string): Promise<ReadonlyMap<string, string>> {
  try {
    const envs = await connectLocalAgent(join(dataDir, 'agent'), { timeoutMs: 3000 }).statusAll();
    return new Map(envs.map((e) => [e.env, addressOf(e.listen)]));
  } catch {
    return new Map();
  }
}
