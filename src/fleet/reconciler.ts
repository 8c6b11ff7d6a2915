/**
 * The server's side of "a host that comes back is reconciled": while this server leads, every
 * environment with `hosts:` is looked at on an interval, and a host that serves something other
 * than the environment's desired state (it was cut off or restarted while a deployment went on
 * without it) is given that state, with an audit entry naming the host. An environment with a
 * deployment in flight is left to that deployment, which owns its hosts.
 */

import { inFlight } from '../engine/reconcile.ts';
import type { Store } from '../store/contract.ts';
import type { RoutedPlane } from './routing.ts';

export interface HostReconcilerOptions {
  readonly app: string;
  readonly plane: Pick<RoutedPlane, 'fleetEnvs' | 'reconcileHosts'>;
  readonly store: Store;
  /** Only the leading server changes hosts. */
  readonly leading: () => boolean;
  readonly intervalMs?: number;
  readonly log?: (line: string) => void;
}

export const HOST_RECONCILE_MS = 10_000;

export interface HostReconciler {
  /** One pass over every fleet environment now; the lines of what changed. */
  pass(): Promise<string[]>;
  stop(): Promise<void>;
}

export function startHostReconciler(options: HostReconcilerOptions): HostReconciler {
  const log = options.log ?? (() => {});
  let running: Promise<string[]> | undefined;
  let stopped = false;

  async function once(): Promise<string[]> {
    const changed: string[] = [];
    for (const env of options.plane.fleetEnvs) {
      if (stopped || !options.leading()) break;
      if (await inFlight(options.store, options.app, env)) continue;
      const lines = await options.plane
        .reconcileHosts(env)
        .catch((error: Error) => [`${env}: hosts not reconciled: ${error.message}`]);
      for (const line of lines) {
        log(`hosts of ${env}: ${line}`);
        changed.push(`${env}: ${line}`);
      }
      const given = lines.filter((l) => /: given the desired state/.test(l));
      if (given.length > 0)
        await options.store.appendAudit({
          actor: 'slipway',
          action: 'hosts.reconciled',
          target: env,
          data: { env, hosts: given.map((l) => l.slice(0, l.indexOf(': given'))) },
        });
    }
    return changed;
  }

  const pass = () => {
    // One pass at a time: a slow host (its SSH timeout) must not stack passes up.
    running ??= once().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer =
    options.plane.fleetEnvs.length > 0
      ? setInterval(
          () => void pass().catch((error: Error) => log(`hosts not reconciled: ${error.message}`)),
          options.intervalMs ?? HOST_RECONCILE_MS,
        )
      : undefined;
  timer?.unref();
  return {
    pass,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
