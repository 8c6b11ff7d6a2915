/**
 * The standard normal distribution's tails, for the statistical judges' normal approximations.
 *
 * Uses simple-statistics' `errorFunction` (a Chebyshev-fitted erfc with fractional error below
 * 1.2e-7, Numerical Recipes §6.2) rather than its `cumulativeStdNormalProbability`, which reads a
 * table in steps of 0.01 and is too coarse near the significance levels we use.
 */
import { errorFunction } from 'simple-statistics';

/** Φ(z) = P(Z ≤ z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2));
}

/** 1 − Φ(z) = P(Z > z): the one-sided p-value of a z statistic. */
export function normalUpperTail(z: number): number {
  return 0.5 * (1 - errorFunction(z / Math.SQRT2));
}
