/**
 * `release create --ci-report junit.xml`: on this machine and from a CI job that has only
 * SLIPWAY_URL and a token (real `slipway agent`, `slipway server` and client processes). The
 * report's facts decide the CI result, the promotion rule refuses a release with failing tests,
 * and a report that does not parse or contradicts `--ci passed` registers nothing.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { type CliResult, cli, initToken, startSlipway, stopProcess } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
environments:
  staging:
    profile: fast
    watch: 1s
`;

const PASSING = `<?xml version="1.0"?>
<testsuites><testsuite name="shop">
  <testcase classname="cart" name="adds"/><testcase classname="cart" name="totals"/>
  <testcase classname="cart" name="later"><skipped/></testcase>
</testsuite></testsuites>`;
const FAILING = `<testsuite name="shop">
  <testcase classname="cart" name="adds"/>
  <testcase classname="cart" name="totals"><failure message="2 !== 3">AssertionError</failure></testcase>
</testsuite>`;
const BROKEN = '<testsuite>\n  <testcase name="a">\n</testsuite>\n';

function writeReports(dir: string): void {
  writeFileSync(join(dir, 'passing.xml'), PASSING);
  writeFileSync(join(dir, 'failing.xml'), FAILING);
  writeFileSync(join(dir, 'broken.xml'), BROKEN);
  cpSync(join(repoRoot, 'examples/shop/app'), join(dir, 'build'), { recursive: true });
}

describe('release create --ci-report on this machine', () => {
  const project = tempDir('slipway-ci-report-');
  before(() => {
    writeFileSync(join(project.path, 'slipway.yaml'), CONFIG);
    writeReports(project.path);
  });
  after(() => project.cleanup());
  const run = (...argv: string[]) => cli(project.path, ...argv);

  test('counts kept and shown; failing tests make the CI result failed', async () => {
    const ok = await run('release', 'create', '--version', '1.0.0', '--ci-report', 'passing.xml', 'build');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /CI passed \(2 tests passed, 1 skipped\)\n$/);
    const bad = await run('release', 'create', '--version', '1.0.1', '--ci-report', 'failing.xml', 'build');
    assert.equal(bad.code, 0, bad.stderr);
    assert.match(bad.stdout, /CI failed \(1 of 2 tests failed\)\n$/);
    const list = await run('releases');
    assert.match(list.stdout, /^1\.0\.1\s+[0-9a-f]{12}\s+failed \(1 of 2 tests failed\)/m);
    const json = JSON.parse((await run('--json', 'releases')).stdout) as {
      version: string;
      report: unknown;
    }[];
    assert.deepEqual(json.find((r) => r.version === '1.0.1')?.report, {
      tests: 2,
      failures: 1,
      errors: 0,
      skipped: 0,
      failed: ['cart › totals'],
    });
  });

  test('a report that does not parse, or contradicts --ci passed: exit 2, nothing registered', async () => {
    const broken = await run('release', 'create', '--version', '2.0.0', '--ci-report', 'broken.xml', 'build');
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /CI_REPORT_INVALID.*broken\.xml: line \d+, column \d+: /);
    assert.doesNotMatch(broken.stderr, /\n\s+at /);
    const contra = await run(
      'release',
      'create',
      '--version',
      '2.0.0',
      '--ci',
      'passed',
      '--ci-report',
      'failing.xml',
      'build',
    );
    assert.equal(contra.code, 2);
    assert.match(contra.stderr, /CI_REPORT_CONTRADICTS.*--ci passed, but the test report has 1 failing/);
    const missing = await run('release', 'create', '--version', '2.0.0', '--ci-report', 'nope.xml', 'build');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /FILE_NOT_FOUND.*--ci-report nope\.xml: no such file/);
    assert.doesNotMatch((await run('releases')).stdout, /2\.0\.0/);
  });

  test('a report whose properties name another release or commit is refused: exit 2, nothing registered', async () => {
    const other = PASSING.replace(
      '<testsuites>',
      '<testsuites><properties><property name="slipway.release" value="1.9.0"/><property name="slipway.commit" value="abc1234"/></properties>',
    );
    assert.notEqual(other, PASSING);
    writeFileSync(join(project.path, 'other.xml'), other);
    const wrong = await run('release', 'create', '--version', '3.0.0', '--ci-report', 'other.xml', 'build');
    assert.equal(wrong.code, 2, wrong.stdout);
    assert.match(
      wrong.stderr,
      /CI_REPORT_CONTRADICTS.*--ci-report other\.xml: written for release 1\.9\.0 \(property slipway\.release\), not 3\.0\.0/,
    );
    const commit = await run(
      'release',
      'create',
      '--version',
      '1.9.0',
      '--commit',
      'def5678',
      '--ci-report',
      'other.xml',
      'build',
    );
    assert.equal(commit.code, 2, commit.stdout);
    assert.match(commit.stderr, /written for commit abc1234 \(property slipway\.commit\), not def5678/);
    assert.doesNotMatch((await run('releases')).stdout, /3\.0\.0|1\.9\.0/);
    const right = await run(
      'release',
      'create',
      '--version',
      '1.9.0',
      '--commit',
      'abc1234ffee',
      '--ci-report',
      'other.xml',
      'build',
    );
    assert.equal(right.code, 0, right.stderr);
  });
});

describe('a CI job uploads its build with its test report through the server', () => {
  const project = tempDir('slipway-ci-report-server-');
  const ci = tempDir('slipway-ci-report-job-');
  let agent: ChildProcess | undefined;
  let server: ChildProcess | undefined;
  let url = '';
  let token = '';

  function run(...argv: string[]): Promise<CliResult> {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
      { cwd: ci.path, env: { ...process.env, SLIPWAY_URL: url, SLIPWAY_TOKEN: token, SLIPWAY_USER: '' } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code: code ?? 1, stdout: out, stderr: err }));
    });
  }

  before(async () => {
    writeFileSync(join(project.path, 'slipway.yaml'), CONFIG);
    mkdirSync(join(ci.path, 'out'));
    writeReports(ci.path);
    agent = (await startSlipway(project.path, ['agent'], /admin API on/, 30_000)).child;
    const s = await startSlipway(project.path, ['server', '--port', '0', '--init'], /API on http/, 60_000);
    server = s.child;
    url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
    token = initToken(s.out());
  });
  after(async () => {
    await stopProcess(server);
    await connectLocalAgent(join(project.path, '.slipway', 'agent'))
      .deleteEnv('staging')
      .catch(() => {});
    await stopProcess(agent);
    project.cleanup();
    ci.cleanup();
  });

  test('failing tests: stored, shown by the API, and staging refuses the release', async () => {
    const bad = await run('release', 'create', '--version', '1.0.1', '--ci-report', 'failing.xml', 'build');
    assert.equal(bad.code, 0, bad.stderr);
    assert.match(bad.stdout, new RegExp(`CI failed \\(1 of 2 tests failed\\) on ${url}\\n$`));
    const api = await fetch(`${url}/api/releases`, { headers: { authorization: `Bearer ${token}` } });
    const list = (await api.json()) as { version: string; ci: string; report: { failed: string[] } }[];
    assert.equal(list[0]?.ci, 'failed');
    assert.deepEqual(list[0]?.report.failed, ['cart › totals']);
    const deploy = await run('deploy', '1.0.1', '--env', 'staging');
    assert.equal(deploy.code, 3, deploy.stdout + deploy.stderr);
    assert.match(
      deploy.stderr,
      /release 1\.0\.1 has CI result "failed"; staging takes only releases whose CI passed/,
    );
  });

  test('passing tests: registered with the counts and deployed to staging', async () => {
    const ok = await run('release', 'create', '--version', '1.0.0', '--ci-report', 'passing.xml', 'build');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /CI passed \(2 tests passed, 1 skipped\) on /);
    const list = await run('releases');
    assert.match(list.stdout, /^1\.0\.0\s+[0-9a-f]{12}\s+passed \(2 tests passed, 1 skipped\)/m);
    const deploy = await run('deploy', '1.0.0', '--env', 'staging');
    assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
    assert.match(deploy.stdout, /dep-\w+ succeeded/);
  });

  test('bad reports are refused before the upload; a forged summary is refused by the server', async () => {
    const broken = await run('release', 'create', '--version', '2.0.0', '--ci-report', 'broken.xml', 'build');
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /CI_REPORT_INVALID.*broken\.xml: line \d+/);
    const contra = await run(
      'release',
      'create',
      '--version',
      '2.0.0',
      '--ci',
      'passed',
      '--ci-report',
      'failing.xml',
      'build',
    );
    assert.equal(contra.code, 2);
    assert.match(contra.stderr, /CI_REPORT_CONTRADICTS/);
    // The API checks the summary itself: a client that skips the CLI cannot store a malformed one.
    const forged = await fetch(
      `${url}/api/releases?version=2.0.0&ciReport=${encodeURIComponent('{"tests":-1}')}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
        body: new Uint8Array([0x1f, 0x8b]),
      },
    );
    assert.equal(forged.status, 400);
    const { error } = (await forged.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'CI_REPORT_INVALID');
    assert.match(error.message, /query\.ciReport\.\S+: /);
    assert.doesNotMatch((await run('releases')).stdout, /2\.0\.0/);
  });
});
