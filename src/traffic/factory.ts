/**
 * The one place a traffic driver is chosen by name (from slipway.yaml or a CLI flag).
 *
 * @example
 * const router = await createRouter('haproxy', { haproxy: { binary: '/usr/sbin/haproxy' } });
 */
import { AppError } from '../domain/errors.ts';
import type { TrafficRouter } from './contract.ts';

export interface RouterOptions {
  readonly haproxy?: { readonly binary?: string; readonly stateDir?: string };
  readonly nginx?: {
    readonly binary?: string;
    readonly stateDir?: string;
    /** ngx_http_js_module.so; default: found from `nginx -V`. */
    readonly jsModule?: string;
  };
  /** Told each HAProxy or nginx process as it is spawned (the agent records them in its proxy ledger). */
  readonly onProxyStart?: (proxy: { driver: string; env: string; pid: number; dir: string }) => void;
}

const told =
  (o: RouterOptions, driver: string) =>
  (env: string, pid: number, dir: string): void =>
    o.onProxyStart?.({ driver, env, pid, dir });

/** Drivers are imported lazily so the built-in router never loads the others' code. */
const DRIVERS: Record<string, (options: RouterOptions) => Promise<TrafficRouter>> = {
  // In a thread of its own: see threaded-router.ts for why.
  builtin: async () => new (await import('./builtin/threaded-router.ts')).ThreadedRouter(),
  haproxy: async (o) =>
    new (await import('./haproxy/router.ts')).HaproxyRouter({ ...o.haproxy, onStart: told(o, 'haproxy') }),
  nginx: async (o) =>
    new (await import('./nginx/router.ts')).NginxRouter({ ...o.nginx, onStart: told(o, 'nginx') }),
};

export const ROUTER_NAMES = Object.keys(DRIVERS);

export async function createRouter(name: string, options: RouterOptions = {}): Promise<TrafficRouter> {
  const make = DRIVERS[name];
  if (!make) {
    throw new AppError(
      'TRAFFIC_DRIVER_UNKNOWN',
      `unknown traffic router "${name}"; use one of: ${ROUTER_NAMES.join(', ')}`,
    );
  }
  return make(options);
}
