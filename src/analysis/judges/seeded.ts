/**
 * A small seeded random source for tests and benchmarks: the same seed gives the same latency
 * samples on every machine, so noise tests are exact and repeatable.
 */

/** mulberry32: 32-bit state, period 2^32; good enough for simulated traffic, not for crypto. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates by Box–Muller. */
export function normalSource(random: () => number): () => number {
  return () => {
    const u = 1 - random(); // (0, 1], so log(u) is finite
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/**
 * `n` log-normal latencies in ms with the given median and log-space sigma. Real request
 * latencies are skewed like this: most requests near the median, a long slow tail.
 */
export function logNormalSamples(random: () => number, n: number, medianMs: number, sigma: number): number[] {
  const normal = normalSource(random);
  const mu = Math.log(medianMs);
  return Array.from({ length: n }, () => Math.exp(mu + sigma * normal()));
}

/** Number of successes in `n` Bernoulli trials of probability `p`. */
export function binomial(random: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (random() < p) k++;
  return k;
}
