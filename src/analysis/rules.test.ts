import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../domain/errors.ts';
import { type AnalysisRule, validateRules } from './rules.ts';

test('validateRules lists every problem with the rule and field', () => {
  const rules = [
    { kind: 'ratio', name: 'p95', metric: 'p95', maxRatio: -1 },
    { kind: 'drop', name: 'orders', metric: '', maxDrop: 20 },
    { kind: 'mann-whitney', name: 'p95', metric: 'latency', alpha: 5 },
    { kind: 'quantile', name: 'q', metric: 'x' },
  ] as unknown as AnalysisRule[];
  try {
    validateRules(rules);
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'ANALYSIS_RULE_INVALID');
    assert.deepEqual(err.details, [
      'rule 0 (p95): maxRatio must be a positive factor, e.g. 2',
      'rule 1 (orders): metric is empty; name the metric to measure, e.g. error_rate',
      'rule 1 (orders): maxDrop must be between 0 and 1, e.g. 0.2',
      'rule 2 (p95): alpha must be between 0 and 1, e.g. 0.01',
      'rule 3 (q): kind "quantile" is unknown; use one of threshold, ratio, drop, mann-whitney, proportions, sequential, sequential-latency, sequential-vs-baseline, sequential-latency-pairs',
      'rule name "p95" is used twice; names must be unique',
    ]);
    assert.equal(
      err.message,
      '6 problems in analysis rules, first: rule 0 (p95): maxRatio must be a positive factor, e.g. 2',
    );
  }
});

test('validateRules returns valid rules unchanged', () => {
  const rules: AnalysisRule[] = [{ kind: 'threshold', name: 'e', metric: 'error_rate', above: 0.05 }];
  assert.equal(validateRules(rules), rules);
});
