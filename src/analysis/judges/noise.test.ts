/**
 * The judges under realistic noise: latencies drawn from a seeded log-normal, errors from a seeded
 * binomial. Healthy releases must never fail (a false rollback costs a deploy); real regressions
 * must be caught with the traffic a canary gets in a minute or two.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { quantile } from 'simple-statistics';
import type { Measurement, Verdict } from '../contract.ts';
import { judgeMannWhitney } from './mann-whitney.ts';
import { judgeProportions } from './proportions.ts';
import { judgeRatio } from './ratio.ts';
import { binomial, logNormalSamples, mulberry32 } from './seeded.ts';
import { judgeThreshold } from './threshold.ts';

const MEDIAN_MS = 120;
const SIGMA = 0.6; // p95 ≈ 2.7 × median: a realistic tail

interface Traffic {
  readonly latency: Measurement;
  readonly errors: Measurement;
}

function traffic(random: () => number, requests: number, latencyScale: number, errorRate: number): Traffic {
  const samples = logNormalSamples(random, requests, MEDIAN_MS * latencyScale, SIGMA);
  const errors = binomial(random, requests, errorRate);
  return {
    latency: { phase: 'ok', value: quantile(samples, 0.95), samples, count: requests },
    errors: { phase: 'ok', value: errors / requests, count: requests },
  };
}

function judgeAll(current: Traffic, baseline: Traffic): Verdict[] {
  return [
    judgeMannWhitney({ name: 'latency', unit: 'ms' }, current.latency, baseline.latency),
    judgeProportions({ name: 'errors' }, current.errors, baseline.errors),
    judgeRatio(
      { name: 'p95', maxRatio: 2, floor: 50, minCount: 100, unit: 'ms' },
      current.latency,
      baseline.latency,
    ),
    judgeThreshold({ name: 'error-rate', above: 0.05, minCount: 100, unit: 'ratio' }, current.errors),
  ];
}

describe('judges under seeded noise', () => {
  test('200 healthy comparisons yield no fail', () => {
    const random = mulberry32(20261122);
    const failures: string[] = [];
    for (let i = 0; i < 200; i++) {
      // A 10% canary beside the baseline: unequal samples, same distributions.
      const current = traffic(random, 400, 1, 0.01);
      const baseline = traffic(random, 3600, 1, 0.01);
      for (const v of judgeAll(current, baseline))
        if (v.verdict === 'fail') failures.push(`#${i} ${v.reason}`);
    }
    assert.deepEqual(failures, []);
  });

  test('a 2× slower release is caught by Mann-Whitney with 100 requests, every time', () => {
    const random = mulberry32(7);
    const verdicts = Array.from({ length: 50 }, () => {
      const current = traffic(random, 100, 2, 0.01);
      const baseline = traffic(random, 900, 1, 0.01);
      return judgeMannWhitney({ name: 'latency' }, current.latency, baseline.latency).verdict;
    });
    assert.deepEqual(new Set(verdicts), new Set(['fail']));
  });

  test('5% errors against a 1% baseline are caught with 1000 requests, every time', () => {
    const random = mulberry32(11);
    const verdicts = Array.from({ length: 50 }, () => {
      const current = traffic(random, 1000, 1, 0.05);
      const baseline = traffic(random, 1000, 1, 0.01);
      return judgeProportions({ name: 'errors' }, current.errors, baseline.errors).verdict;
    });
    assert.deepEqual(new Set(verdicts), new Set(['fail']));
  });

  test('a 2.5× p95 regression fails the ratio rule with 400 requests', () => {
    const random = mulberry32(3);
    const verdicts = Array.from({ length: 50 }, () => {
      const current = traffic(random, 400, 2.5, 0.01);
      const baseline = traffic(random, 3600, 1, 0.01);
      return judgeRatio({ name: 'p95', maxRatio: 2, floor: 50 }, current.latency, baseline.latency).verdict;
    });
    assert.deepEqual(new Set(verdicts), new Set(['fail']));
  });

  test('a canary with 30 requests is inconclusive, not passed', () => {
    const random = mulberry32(5);
    const verdicts = judgeAll(traffic(random, 30, 1, 0.01), traffic(random, 3600, 1, 0.01));
    assert.deepEqual(
      verdicts.map((v) => v.verdict),
      ['inconclusive', 'inconclusive', 'inconclusive', 'inconclusive'],
    );
  });
});
