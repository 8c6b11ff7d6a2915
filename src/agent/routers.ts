/**
 * The agent's routers, one per traffic driver in use (slipway.yaml `router.driver` of each
 * environment, carried in the desired state). Each driver is created through the traffic factory
 * the first time an environment asks for it; a driver's proxy processes (HAProxy, nginx) are
 * watched and restarted with the environment's last routing if one dies.
 */
import { ROUTER_DRIVERS } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import type { TrafficRouter } from '../traffic/contract.ts';
import { createRouter, type RouterOptions } from '../traffic/factory.ts';
import { checkDriverInstalled } from '../traffic/installed.ts';

export type RouterFactory = (driver: string) => Promise<TrafficRouter>;

/** A router that can say its proxy for an environment died (HAProxy, nginx). */
interface Supervised {
  down(env: string): boolean;
}

/** A router that runs one proxy process per environment (HAProxy, nginx). */
interface WithProxies {
  pidOf(env: string): number | undefined;
}

export class RouterPool {
  private readonly routers = new Map<string, Promise<TrafficRouter>>();
  private readonly factory: RouterFactory | undefined;
  private readonly fixed: TrafficRouter | undefined;
  private readonly options: RouterOptions;
  /** The environments each driver was asked for, to list their proxy processes. */
  private readonly asked = new Map<string, Set<string>>();

  /**
   * `fixed`: one router for every driver (tests with a fake router); otherwise each driver is
   * created by `factory` (default: src/traffic/factory.ts with `options`).
   */
  constructor(input: { fixed?: TrafficRouter; factory?: RouterFactory; options?: RouterOptions }) {
    this.fixed = input.fixed;
    this.factory = input.factory;
    this.options = input.options ?? {};
  }

  /** The router of `driver`, created on first use; `env` names the environment in errors. */
  async get(driver: string | undefined, env: string): Promise<TrafficRouter> {
    if (this.fixed) return this.fixed;
    const name = driver ?? 'builtin';
    if (!(ROUTER_DRIVERS as readonly string[]).includes(name)) {
      throw new AppError(
        'TRAFFIC_DRIVER_UNKNOWN',
        `environments.${env}.router.driver: unknown driver "${name}"; use one of ${ROUTER_DRIVERS.join(', ')}`,
      );
    }
    if (!this.factory) checkDriverInstalled(env, name, this.options);
    this.asked.set(name, (this.asked.get(name) ?? new Set()).add(env));
    let router = this.routers.get(name);
    if (!router) {
      router = this.factory ? this.factory(name) : createRouter(name, this.options);
      this.routers.set(name, router);
      router.catch(() => this.routers.delete(name));
    }
    return router;
  }

  /** Every router created so far. */
  async all(): Promise<TrafficRouter[]> {
    if (this.fixed) return [this.fixed];
    const settled = await Promise.allSettled(this.routers.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /** True when the proxy routing `env` with `router` has died and must be started again. */
  static isDown(router: TrafficRouter, env: string): boolean {
    const watched = router as Partial<Supervised>;
    return typeof watched.down === 'function' && watched.down(env);
  }

  /** The proxy processes running now, one per environment of the HAProxy and nginx drivers. */
  async proxies(): Promise<{ driver: string; env: string; pid: number }[]> {
    if (this.fixed) return [];
    const found: { driver: string; env: string; pid: number }[] = [];
    for (const [driver, envs] of this.asked) {
      const router = await this.routers.get(driver)?.catch(() => undefined);
      const pidOf = (router as Partial<WithProxies> | undefined)?.pidOf;
      if (!router || typeof pidOf !== 'function') continue;
      for (const env of envs) {
        const pid = pidOf.call(router, env);
        if (pid !== undefined && !RouterPool.isDown(router, env)) found.push({ driver, env, pid });
      }
    }
    return found;
  }

  async close(): Promise<void> {
    await Promise.all((await this.all()).map((r) => r.close()));
    this.routers.clear();
  }
}
