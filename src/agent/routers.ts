/**
 * The agent's routers, one per traffic driver in use (slipway.yaml `router.driver` of each
 * environment, carried in the desired state). Each driver is created through the traffic factory
 * the first time an environment asks for it; a driver's proxy processes (HAProxy, nginx) are
 * watched and restarted with the environment's last routing if one dies.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROUTER_DRIVERS, type RouterDriver } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import type { TrafficRouter } from '../traffic/contract.ts';
import { createRouter, type RouterOptions } from '../traffic/factory.ts';

/** The system binary each external driver runs, and the Debian packages that bring it. */
const BINARIES: Partial<Record<RouterDriver, { binary: string; install: string }>> = {
  haproxy: { binary: 'haproxy', install: 'apt-get install haproxy' },
  nginx: { binary: 'nginx', install: 'apt-get install nginx libnginx-mod-http-js' },
};

/**
 * Where `binary` is on PATH (or the path itself when it has a slash); undefined when missing.
 * PATH only, as the drivers spawn it by name.
 */
export function findBinary(binary: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = binary.includes('/')
    ? [binary]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, binary));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Refuses a driver whose binary is not installed, naming the slipway.yaml key and the fix.
 * Control plane (before a deployment starts) and agent (before it applies) both ask.
 */
export function checkDriverInstalled(env: string, driver: string, options: RouterOptions = {}): void {
  const need = BINARIES[driver as RouterDriver];
  if (need === undefined) return;
  const binary = (driver === 'haproxy' ? options.haproxy?.binary : options.nginx?.binary) ?? need.binary;
  if (findBinary(binary) !== undefined) return;
  throw new AppError(
    'TRAFFIC_DRIVER_FAILED',
    `environments.${env}.router.driver: ${driver} needs the ${binary} binary, which is not installed (not on PATH); install it (${need.install}), add its folder (e.g. /usr/sbin) to PATH, or set router.driver: builtin`,
  );
}

export type RouterFactory = (driver: string) => Promise<TrafficRouter>;

/** A router that can say its proxy for an environment died (HAProxy, nginx). */
interface Supervised {
  down(env: string): boolean;
}

export class RouterPool {
  private readonly routers = new Map<string, Promise<TrafficRouter>>();
  private readonly factory: RouterFactory | undefined;
  private readonly fixed: TrafficRouter | undefined;
  private readonly options: RouterOptions;

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

  async close(): Promise<void> {
    await Promise.all((await this.all()).map((r) => r.close()));
    this.routers.clear();
  }
}
