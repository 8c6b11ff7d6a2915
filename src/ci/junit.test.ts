import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../domain/errors.ts';
import { ciResultOf, MAX_FAILED_NAMES, parseJUnit } from './junit.ts';

// The shape node --test --test-reporter=junit writes (nested suites, skipped, failure with CDATA).
const NODE_REPORT = `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="cart" tests="3" failures="1" skipped="1">
    <testcase name="adds &amp; removes" classname="test" time="0.01"/>
    <testcase name="totals" classname="test" time="0.02">
      <failure type="testCodeFailure" message="2 !== 3"><![CDATA[AssertionError: 2 !== 3 <here>]]></failure>
    </testcase>
    <testcase name="later" classname="test"><skipped type="skipped" message="todo"/></testcase>
    <testsuite name="inner"><testcase name="deep" classname="inner"><error message="boom"/></testcase></testsuite>
  </testsuite>
</testsuites>`;

describe('JUnit reports', () => {
  test('counts tests, failures, errors and skips from the test cases, names the failing ones', () => {
    assert.deepEqual(parseJUnit(NODE_REPORT, 'junit.xml'), {
      tests: 4,
      failures: 1,
      errors: 1,
      skipped: 1,
      failed: ['test › totals', 'inner › deep'],
    });
  });

  test('a single <testsuite> root (jest-junit, pytest) reads the same', () => {
    const r = parseJUnit('<testsuite name="s"><testcase name="one"/></testsuite>', 'r.xml');
    assert.deepEqual(r, { tests: 1, failures: 0, errors: 0, skipped: 0, failed: [] });
  });

  test('keeps 20 failing names, exact counts beyond', () => {
    const cases = Array.from({ length: 30 }, (_, i) => `<testcase name="t${i}"><failure/></testcase>`);
    const r = parseJUnit(`<testsuite>${cases.join('')}</testsuite>`, 'r.xml');
    assert.equal(r.failures, 30);
    assert.equal(r.failed.length, MAX_FAILED_NAMES);
    assert.equal(r.failed[0], 't0');
  });

  test('XML that does not parse: the file, the line and the parser message', () => {
    assert.throws(
      () => parseJUnit('<testsuite>\n<testcase name="a">\n</testsuite>', 'out/junit.xml'),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'CI_REPORT_INVALID' &&
        /^out\/junit\.xml: line \d+, column \d+: .+; give the JUnit XML file/.test(e.message),
    );
  });

  test('well-formed XML that is not a JUnit report, or holds no test', () => {
    assert.throws(() => parseJUnit('<coverage/>', 'c.xml'), /c\.xml: no <testsuites> or <testsuite>/);
    assert.throws(
      () => parseJUnit('<testsuites></testsuites>', 'e.xml'),
      /e\.xml: the report holds no <testcase>/,
    );
  });

  test('the report decides the CI result; --ci passed against failing tests is refused', () => {
    const failing = parseJUnit(NODE_REPORT, 'junit.xml');
    const clean = parseJUnit('<testsuite><testcase name="a"/></testsuite>', 'j.xml');
    assert.equal(ciResultOf('unknown', failing), 'failed');
    assert.equal(ciResultOf('failed', failing), 'failed');
    assert.equal(ciResultOf('unknown', clean), 'passed');
    assert.equal(ciResultOf('failed', clean), 'failed');
    assert.equal(ciResultOf('passed', null), 'passed');
    assert.throws(
      () => ciResultOf('passed', failing),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'CI_REPORT_CONTRADICTS' &&
        /1 failing and 1 erroring of 4 tests \(test › totals, inner › deep\)/.test(e.message),
    );
  });
});
