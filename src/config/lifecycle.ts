/**
 * Environments form a lifecycle through `after:`: a release reaches an environment only after it
 * succeeded in the one named there. The loader has already refused unknown names and cycles.
 */
import type { SlipwayConfig } from './schema.ts';

/** Environment names, each after the one it follows; ties keep the file's order. */
export function lifecycleOrder(config: Pick<SlipwayConfig, 'environments'>): string[] {
  const names = Object.keys(config.environments);
  const order: string[] = [];
  const place = (name: string, depth: number): void => {
    if (order.includes(name) || depth > names.length) return;
    const after = config.environments[name]?.after;
    if (after !== undefined) place(after, depth + 1);
    order.push(name);
  };
  for (const name of names) place(name, 0);
  return order;
}

/** The environment a release must have succeeded in before `env`, if any. */
export function previousEnvironment(
  config: Pick<SlipwayConfig, 'environments'>,
  env: string,
): string | undefined {
  return config.environments[env]?.after;
}
