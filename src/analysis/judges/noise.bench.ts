/**
 * Calibration of the statistical judges under seeded noise (not a test; prints figures):
 * false-fail rate on healthy comparisons and detection rate of regressions, per sample size.
 *
 *   node_modules/.bin/node src/analysis/judges/noise.bench.ts [trials=2000]
 */
import { judgeMannWhitney } from './mann-whitney.ts';
import { judgeProportions } from './proportions.ts';
import { binomial, logNormalSamples, mulberry32 } from './seeded.ts';

const trials = Number(process.argv[2] ?? 2000);
const random = mulberry32(424242);
const SIGMA = 0.6;

function latencyFailRate(nNew: number, nBase: number, scale: number): number {
  let fails = 0;
  for (let i = 0; i < trials; i++) {
    const a = logNormalSamples(random, nNew, 120 * scale, SIGMA);
    const b = logNormalSamples(random, nBase, 120, SIGMA);
    const v = judgeMannWhitney(
      { name: 'l' },
      { phase: 'ok', value: 0, samples: a },
      { phase: 'ok', value: 0, samples: b },
    );
    if (v.verdict === 'fail') fails++;
  }
  return fails / trials;
}

function errorFailRate(nNew: number, nBase: number, pNew: number, pBase: number): number {
  let fails = 0;
  for (let i = 0; i < trials; i++) {
    const a = binomial(random, nNew, pNew) / nNew;
    const b = binomial(random, nBase, pBase) / nBase;
    const v = judgeProportions(
      { name: 'e' },
      { phase: 'ok', value: a, count: nNew },
      { phase: 'ok', value: b, count: nBase },
    );
    if (v.verdict === 'fail') fails++;
  }
  return fails / trials;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
console.log(`trials per row: ${trials}; log-normal latency, median 120 ms, sigma ${SIGMA}`);
console.log('mann-whitney (alpha 0.01, min effect A 0.6)');
for (const [nNew, nBase] of [
  [100, 900],
  [200, 1800],
  [400, 3600],
]) {
  console.log(
    `  new ${nNew} / baseline ${nBase}: healthy false-fail ${pct(latencyFailRate(nNew!, nBase!, 1))}, ` +
      `1.2x caught ${pct(latencyFailRate(nNew!, nBase!, 1.2))}, 2x caught ${pct(latencyFailRate(nNew!, nBase!, 2))}`,
  );
}
console.log('two-proportion z (alpha 0.01, min effect 2 points, 5 expected errors)');
for (const [nNew, nBase] of [
  [400, 3600],
  [1000, 1000],
  [1000, 9000],
]) {
  console.log(
    `  new ${nNew} / baseline ${nBase}: healthy 1% false-fail ${pct(errorFailRate(nNew!, nBase!, 0.01, 0.01))}, ` +
      `5% vs 1% caught ${pct(errorFailRate(nNew!, nBase!, 0.05, 0.01))}`,
  );
}
