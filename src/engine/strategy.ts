/**
 * The strategies as the engine sees them: slipway.yaml's shorthand (`strategy: canary`) and
 * mapping forms become one discriminated value with every default filled in.
 */
import type { EnvironmentConfig } from '../config/schema.ts';
import { parsePercent } from '../config/units.ts';

export interface CanaryStepSpec {
  readonly weight?: number;
  /** Milliseconds, or null for "until resumed". */
  readonly pause?: number | null;
  readonly analysisMs?: number;
  /** Percentage of users on the canary's feature flag from this step on. */
  readonly flagPercent?: number;
}

export type EngineStrategy =
  | { readonly kind: 'blue-green'; readonly warmForMs: number }
  | { readonly kind: 'canary'; readonly steps: readonly CanaryStepSpec[]; readonly flag?: string }
  | { readonly kind: 'rolling'; readonly maxSurge: number; readonly maxUnavailable: number };

/** The seed's example steps: 5% → 25% → 50% → 100%. */
export const DEFAULT_CANARY_STEPS: readonly CanaryStepSpec[] = [
  { weight: 5, analysisMs: 60_000 },
  { weight: 25, analysisMs: 60_000 },
  { weight: 50, analysisMs: 60_000 },
  { weight: 100 },
];
export const DEFAULT_WARM_FOR_MS = 30 * 60_000;
/** Analysis length of a step that says `analysis: default`. */
export const DEFAULT_ANALYSIS_MS = 60_000;

/** maxSurge / maxUnavailable as counts: `25%` of 4 instances is 1; a percentage rounds up for surge, down for unavailable. */
export function resolveAmount(value: number | string, instances: number, round: 'up' | 'down'): number {
  if (typeof value === 'number') return value;
  const fraction = parsePercent(value) ?? 0;
  return round === 'up' ? Math.ceil(fraction * instances) : Math.floor(fraction * instances);
}

export function engineStrategy(env: Pick<EnvironmentConfig, 'strategy'>, instances: number): EngineStrategy {
  const s = env.strategy;
  if (s === 'blue-green') return { kind: 'blue-green', warmForMs: DEFAULT_WARM_FOR_MS };
  if (s === 'canary') return { kind: 'canary', steps: DEFAULT_CANARY_STEPS };
  if (s === 'rolling') return { kind: 'rolling', maxSurge: 1, maxUnavailable: 0 };
  if (s['blue-green']) return { kind: 'blue-green', warmForMs: s['blue-green'].warmFor };
  if (s.canary) {
    return {
      kind: 'canary',
      ...(s.canary.flag !== undefined && { flag: s.canary.flag }),
      steps: s.canary.steps.map((step) => ({
        ...(step.weight !== undefined && { weight: step.weight }),
        ...(step.flag !== undefined && { flagPercent: step.flag }),
        ...(step.pause !== undefined && { pause: step.pause === 'until-resumed' ? null : step.pause }),
        ...(step.analysis !== undefined && {
          analysisMs: step.analysis === 'default' ? DEFAULT_ANALYSIS_MS : step.analysis.duration,
        }),
      })),
    };
  }
  const rolling = s.rolling ?? { maxSurge: 1, maxUnavailable: 0 };
  const maxSurge = resolveAmount(rolling.maxSurge, instances, 'up');
  const maxUnavailable = resolveAmount(rolling.maxUnavailable, instances, 'down');
  return { kind: 'rolling', maxSurge, maxUnavailable: maxSurge + maxUnavailable === 0 ? 0 : maxUnavailable };
}
