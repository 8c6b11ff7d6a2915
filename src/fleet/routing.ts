/**
 * The data plane the engine drives, per environment: the agent on this machine, or for an
 * environment with `hosts:` the fleet plane over its hosts (src/fleet/plane.ts), opened on first
 * use and kept for the process. The open SSH connections are closed by `closeFleetPlanes` when
 * the command ends (a server keeps them).
 */
import type { SlipwayConfig } from '../config/schema.ts';
import type { DataPlaneClient } from '../domain/data-plane.ts';
import type { HostEvent } from '../engine/ports.ts';
import type { SecretStore } from '../secrets/contract.ts';
import { fleetOf, withSecretKeys } from './hosts.ts';
import { createFleetPlane, type FleetPlane } from './plane.ts';

const opened = new Set<FleetPlane>();

export async function closeFleetPlanes(): Promise<void> {
  const planes = [...opened];
  opened.clear();
  await Promise.all(planes.map((p) => p.close().catch(() => undefined)));
}

export type RoutedPlane = DataPlaneClient & {
  hostEvents(env: string): Promise<readonly HostEvent[]>;
  /** The environments with `hosts:`. */
  readonly fleetEnvs: readonly string[];
  /** Gives every reachable host of `env` that serves something else the desired state; a line per host changed. */
  reconcileHosts(env: string): Promise<string[]>;
};

export function withFleets(
  local: DataPlaneClient,
  config: SlipwayConfig | undefined,
  projectDir: string,
  dataDir: string,
  secrets?: () => SecretStore,
): RoutedPlane {
  const planes = new Map<string, FleetPlane>();
  const hasHosts = (env: string) => config?.environments[env]?.hosts !== undefined;
  const to = (env: string): DataPlaneClient => {
    if (!config || !hasHosts(env)) return local;
    let plane = planes.get(env);
    if (!plane) {
      plane = createFleetPlane({
        config,
        fleet: fleetOf(config, env, projectDir, dataDir),
        dataDir,
        ...(secrets && { withKeys: (fleet) => withSecretKeys(fleet, secrets) }),
      });
      planes.set(env, plane);
      opened.add(plane);
    }
    return plane;
  };
  return {
    putEnv: (env, body) => to(env).putEnv(env, body),
    setWeights: (env, weights) => to(env).setWeights(env, weights),
    status: (env) => to(env).status(env),
    desired: (env) => to(env).desired(env),
    // This machine's agent: the hosts' environments are listed by `slipway hosts status`.
    statusAll: () => local.statusAll(),
    deleteEnv: (env) => to(env).deleteEnv(env),
    logs: (env, release, lines) => to(env).logs(env, release, lines),
    metrics: (env, release, windowMs) => to(env).metrics(env, release, windowMs),
    followLogs: (env, release, options) => to(env).followLogs(env, release, options),
    hostEvents: async (env) => (hasHosts(env) ? (to(env) as FleetPlane).hostEvents(env) : []),
    fleetEnvs: Object.keys(config?.environments ?? {}).filter(hasHosts),
    reconcileHosts: async (env) => (hasHosts(env) ? (to(env) as FleetPlane).reconcile() : []),
  };
}
