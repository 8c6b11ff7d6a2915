/**
 * Environments form a lifecycle through `after:`: a release reaches an environment only after it
 * succeeded in the one named there. The loader has already refused unknown names and cycles.
 */
import type { SlipwayConfig } from './schema.ts';

/**
 * Environment names, each after the one it follows; ties keep the file's order. One walk per
 * chain with sets (no recursion): a generated file may chain thousands of environments.
 */
export function lifecycleOrder(config: Pick<SlipwayConfig, 'environments'>): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  for (const name of Object.keys(config.environments)) {
    const chain: string[] = [];
    const onChain = new Set<string>();
    let current: string | undefined = name;
    while (current !== undefined && !placed.has(current) && !onChain.has(current)) {
      chain.push(current);
      onChain.add(current);
      current = config.environments[current]?.after;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const env = chain[i] as string;
      placed.add(env);
      order.push(env);
    }
  }
  return order;
}

/** The environment a release must have succeeded in before `env`, if any. */
export function previousEnvironment(
  config: Pick<SlipwayConfig, 'environments'>,
  env: string,
): string | undefined {
  return config.environments[env]?.after;
}
