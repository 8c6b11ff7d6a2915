/**
 * A JUnit XML test report (what every test runner can write: node --test's junit reporter,
 * Jest's jest-junit, pytest --junitxml, Surefire) read into the counts a release keeps.
 * Parsed with fast-xml-parser (maintained, no native code) rather than by hand: XML has entities,
 * CDATA and attribute quoting that a regex reader gets wrong.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../domain/errors.ts';
import type { CiResult, TestReport } from '../domain/types.ts';

/** How many failing test names a release keeps; the counts stay exact beyond it. */
export const MAX_FAILED_NAMES = 20;
const MAX_NAME = 200;

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Every level that may repeat is an array, so one test and a thousand read the same way.
  isArray: (name) => name === 'testsuite' || name === 'testcase',
  processEntities: true,
});

const asNodes = (v: unknown): Node[] =>
  Array.isArray(v) ? (v.filter((x) => typeof x === 'object' && x !== null) as Node[]) : [];

function suitesOf(node: Node): Node[] {
  // Suites nest (<testsuites><testsuite><testsuite>…) in some runners' output.
  return asNodes(node.testsuite).flatMap((s) => [s, ...suitesOf(s)]);
}

const clip = (text: string): string => (text.length > MAX_NAME ? `${text.slice(0, MAX_NAME - 1)}…` : text);

/**
 * Read a JUnit XML document. `file` names it in errors. Counts come from the <testcase>
 * elements (each one a test; a <failure>, <error> or <skipped> child says how it ended), since
 * runners disagree on the attributes of <testsuite>.
 *
 * @example
 * parseJUnit('<testsuite><testcase name="a"/><testcase name="b"><failure/></testcase></testsuite>', 'junit.xml')
 * // → { tests: 2, failures: 1, errors: 0, skipped: 0, failed: ['b'] }
 */
export function parseJUnit(xml: string, file: string): TestReport {
  const invalid = (why: string) =>
    new AppError(
      'CI_REPORT_INVALID',
      `${file}: ${why}; give the JUnit XML file your test runner wrote (e.g. node --test --test-reporter=junit --test-reporter-destination=junit.xml)`,
    );
  const checked = XMLValidator.validate(xml);
  if (checked !== true)
    throw invalid(`line ${checked.err.line}, column ${checked.err.col}: ${checked.err.msg}`);
  const doc = parser.parse(xml) as Node;
  if (!('testsuites' in doc) && !('testsuite' in doc))
    throw invalid('no <testsuites> or <testsuite> element at the top; this is not a JUnit report');
  // An empty <testsuites/> parses as '' rather than an object.
  const top = 'testsuites' in doc ? doc.testsuites : { testsuite: doc.testsuite };
  const root: Node = typeof top === 'object' && top !== null ? (top as Node) : {};
  const report = { tests: 0, failures: 0, errors: 0, skipped: 0, failed: [] as string[] };
  for (const suite of suitesOf(root)) {
    for (const tc of asNodes(suite.testcase)) {
      report.tests += 1;
      const name = [tc['@classname'], tc['@name']]
        .filter((x) => typeof x === 'string' && x !== '')
        .join(' › ');
      const bad = 'failure' in tc ? 'failures' : 'error' in tc ? 'errors' : undefined;
      if (bad) {
        report[bad] += 1;
        if (report.failed.length < MAX_FAILED_NAMES) report.failed.push(clip(name || '(unnamed test)'));
      } else if ('skipped' in tc) report.skipped += 1;
    }
  }
  if (report.tests === 0) throw invalid('the report holds no <testcase>; did the tests run?');
  return report;
}

/**
 * Who a report says it is for: JUnit has no release field, but runners can write suite
 * properties (pytest's record_testsuite_property, jest-junit, Gradle, a CI step); slipway reads
 * `slipway.release` (the version) and `slipway.commit` from <testsuites> or any <testsuite>.
 * Runners that write none leave the report's release unchecked (README, "CI reports").
 */
export function reportIdentity(xml: string): { release?: string; commit?: string } {
  if (XMLValidator.validate(xml) !== true) return {};
  const doc = parser.parse(xml) as Node;
  const top = 'testsuites' in doc ? doc.testsuites : { testsuite: doc.testsuite };
  const root: Node = typeof top === 'object' && top !== null ? (top as Node) : {};
  const found: { release?: string; commit?: string } = {};
  for (const holder of [root, ...suitesOf(root)]) {
    const props = holder.properties;
    if (typeof props !== 'object' || props === null) continue;
    const list = (props as Node).property;
    for (const p of asNodes(Array.isArray(list) ? list : [list])) {
      const value = p['@value'];
      if (typeof value !== 'string' || value === '') continue;
      if (p['@name'] === 'slipway.release') found.release ??= value;
      if (p['@name'] === 'slipway.commit') found.commit ??= value;
    }
  }
  return found;
}

/** Refuses a report whose properties name another release or commit than the one registered. */
export function checkReportIdentity(
  identity: { release?: string; commit?: string },
  registering: { version: string; commit?: string | undefined },
  file: string,
): void {
  const refuse = (what: string) =>
    new AppError(
      'CI_REPORT_CONTRADICTS',
      `${file}: ${what}; this is another build's report: give the report of this build's tests; nothing was registered`,
    );
  if (identity.release !== undefined && identity.release !== registering.version)
    throw refuse(
      `written for release ${identity.release} (property slipway.release), not ${registering.version}`,
    );
  const a = identity.commit?.toLowerCase();
  const b = registering.commit?.toLowerCase();
  if (a !== undefined && b !== undefined && !a.startsWith(b) && !b.startsWith(a))
    throw refuse(
      `written for commit ${identity.commit} (property slipway.commit), not ${registering.commit}`,
    );
}

/** True when the report says CI failed: any failing or erroring test. */
export const reportFailed = (r: TestReport): boolean => r.failures + r.errors > 0;

/**
 * The CI result a release is registered with: the report's facts win over a word typed by hand.
 * Failing tests make it `failed` (and `--ci passed` with them is refused as a contradiction);
 * a clean report makes an unstated result `passed`; `--ci failed` with a clean report stays
 * failed (CI may fail for reasons beyond tests: lint, build).
 */
export function ciResultOf(given: CiResult, report: TestReport | null): CiResult {
  if (report === null) return given;
  if (reportFailed(report)) {
    if (given === 'passed')
      throw new AppError(
        'CI_REPORT_CONTRADICTS',
        `--ci passed, but the test report has ${report.failures} failing and ${report.errors} erroring of ${report.tests} tests (${report.failed.slice(0, 3).join(', ')}); drop --ci and let the report decide, or fix the tests; nothing was registered`,
      );
    return 'failed';
  }
  return given === 'unknown' ? 'passed' : given;
}
