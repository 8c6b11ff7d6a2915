/**
 * The weighted split between releases, pure: no I/O, no clock.
 *
 * Sticky requests hash the user id into [0,100) and walk the releases from the NEWEST (the last
 * in `RouteState.releases`) down, comparing the hash with the cumulative weight. A user whose
 * hash is below the new release's weight is on the new release; while that weight only grows,
 * the comparison stays true, so no user flips back. Requests without a user id take a smooth
 * weighted round-robin (nginx's algorithm), which is exact over any window of 100 requests.
 */

/** FNV-1a of the id, folded into [0,100) with two decimals so 0.01% steps are distinguishable. */
export function stickyPoint(userId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche so ids that differ only in their last character spread out.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return ((h >>> 0) % 10_000) / 100;
}

/**
 * Index of the release a sticky user belongs to. `weights` are in release order (oldest first);
 * `eligible[i]` false means release i cannot take traffic now (no healthy backend), in which case
 * -1 is returned and the caller falls back to the round-robin among eligible releases.
 */
export function pickSticky(point: number, weights: readonly number[], eligible: readonly boolean[]): number {
  let cumulative = 0;
  for (let i = weights.length - 1; i >= 0; i--) {
    const w = weights[i] ?? 0;
    if (w <= 0) continue;
    cumulative += w;
    if (point < cumulative) return eligible[i] ? i : -1;
  }
  return -1;
}

/**
 * Smooth weighted round-robin: every pick adds each eligible weight to its running score, takes
 * the highest and subtracts the total from it. `current` is the running state, updated in place.
 * Returns -1 when no eligible release has weight (the caller then answers 502).
 */
export function pickSmooth(
  weights: readonly number[],
  eligible: readonly boolean[],
  current: number[],
): number {
  let best = -1;
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0;
    if (w <= 0 || !eligible[i]) continue;
    total += w;
    current[i] = (current[i] ?? 0) + w;
    if (best < 0 || (current[i] ?? 0) > (current[best] ?? 0)) best = i;
  }
  if (best >= 0) current[best] = (current[best] ?? 0) - total;
  return best;
}
