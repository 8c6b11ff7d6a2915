/**
 * Drift between two environments of a project, as `slipway config diff` and the deployment
 * preflight see it: both resolved from their real sources, compared with the `mustMatch` keys of
 * slipway.yaml (shared and both environments).
 */
import type { SlipwayConfig } from '../schema.ts';
import { type DriftFinding, diff, driftSide } from './drift.ts';
import type { PreparedConfig } from './prepare.ts';

export function mustMatchOf(config: SlipwayConfig, envs: readonly string[]): string[] {
  const keys = new Set(config.config?.mustMatch ?? []);
  for (const env of envs) for (const k of config.environments[env]?.config?.mustMatch ?? []) keys.add(k);
  return [...keys].sort();
}

/** Findings of `b` against `a` (a is usually the earlier environment of the lifecycle). */
export function driftBetween(config: SlipwayConfig, a: PreparedConfig, b: PreparedConfig): DriftFinding[] {
  // Each side's own allowance: production allowing loopback says nothing about another environment.
  const side = (p: PreparedConfig) =>
    driftSide(p.resolution, undefined, config.environments[p.resolution.env]?.config?.allowLoopback);
  return diff(side(a), side(b), {
    mustMatch: mustMatchOf(config, [a.resolution.env, b.resolution.env]),
  });
}
