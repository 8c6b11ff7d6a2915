/**
 * The whole staging → production story through a server, as a CI job runs it: real processes
 * (`slipway agent`, `slipway server`, every client command its own `slipway` process), a client
 * working directory with no slipway.yaml and no `.slipway/`, only SLIPWAY_URL and a token. The
 * CI job uploads the build, deploys it to staging, promotes it to production; a second person
 * with an approver token approves from their own terminal.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { type CliResult, initToken, startSlipway, stopProcess } from './cli-helpers.ts';

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
  production:
    after: staging
    profile: fast
    watch: 1s
    approval: { required: 1, role: approver, selfApproval: false }
`;

/** `slipway ARGS` as its own process with only the server's address and a token. */
function client(
  cwd: string,
  token: string,
  argv: string[],
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
    { cwd, env: { ...process.env, SLIPWAY_URL: url, SLIPWAY_TOKEN: token, SLIPWAY_USER: '' } },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (c) => (out += c));
  child.stderr?.on('data', (c) => (err += c));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout: out, stderr: err }));
  });
  return { child, done };
}
let url = '';

describe('a CI job with only SLIPWAY_URL and a token ships staging → production', () => {
  const project = tempDir('slipway-remote-project-');
  const ci = tempDir('slipway-remote-ci-');
  let agent: ChildProcess | undefined;
  let server: ChildProcess | undefined;
  const tokens = { admin: '', ci: '', approver: '' };
  const run = (token: string, ...argv: string[]) => client(ci.path, token, argv).done;

  before(async () => {
    writeFileSync(join(project.path, 'slipway.yaml'), CONFIG);
    agent = (await startSlipway(project.path, ['agent'], /admin API on/, 30_000)).child;
    const s = await startSlipway(project.path, ['server', '--port', '0', '--init'], /API on http/, 60_000);
    server = s.child;
    url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
    tokens.admin = initToken(s.out());
    // The admin, from their own machine, creates the CI user and an approver for production.
    const admin = async (...argv: string[]) => {
      const r = await run(tokens.admin, ...argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await admin('user', 'add', 'ci', '--role', 'deployer');
    await admin('user', 'add', 'ann', '--role', 'approver', '--env', 'production');
    const secret = (out: string) => /^(slw_\S+)$/m.exec(out)?.[1] as string;
    tokens.ci = secret(await admin('token', 'create', '--user', 'ci', '--name', 'ci'));
    tokens.approver = secret(await admin('token', 'create', '--user', 'ann', '--name', 'laptop'));
    assert.ok(tokens.ci && tokens.approver);
    // The CI workspace: the build, and nothing of slipway.
    cpSync(join(repoRoot, 'examples/shop/app'), join(ci.path, 'build'), { recursive: true });
    writeFileSync(join(ci.path, 'build', 'VERSION'), '1.0.0');
  });
  after(async () => {
    await stopProcess(server);
    const agentClient = connectLocalAgent(join(project.path, '.slipway', 'agent'));
    for (const env of ['staging', 'production']) await agentClient.deleteEnv(env).catch(() => {});
    await stopProcess(agent);
    project.cleanup();
    ci.cleanup();
  });

  test('upload, deploy to staging, promote with a second person’s approval', async () => {
    const created = await run(
      tokens.ci,
      'release',
      'create',
      '--version',
      '1.0.0',
      '--ci',
      'passed',
      '--commit',
      'abc123',
      'build',
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(
      created.stdout,
      new RegExp(
        `^registered shop 1\\.0\\.0 {2}sha256:[0-9a-f]{12} {2}\\d+ files, \\d+ bytes, CI passed on ${url}\\n$`,
      ),
    );
    const again = await run(
      tokens.ci,
      'release',
      'create',
      '--version',
      '1.0.0',
      '--ci',
      'passed',
      '--commit',
      'abc123',
      'build',
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^already registered shop 1\.0\.0/);
    const conflict = await run(
      tokens.ci,
      'release',
      'create',
      '--version',
      '1.0.0',
      '--ci',
      'failed',
      'build',
    );
    assert.equal(conflict.code, 3, conflict.stderr);
    assert.match(conflict.stderr, /RELEASE_CONFLICT[^\n]*\n {2}CI result: passed registered, failed now\n/);

    const list = await run(tokens.ci, 'releases');
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /^VERSION\s+DIGEST\s+CI\s+COMMIT\s+CREATED\s+BY\n1\.0\.0\s+[0-9a-f]{12}\s+passed\s+abc123\s+\S+ \S+\s+ci\n$/,
    );

    const staging = await run(tokens.ci, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(staging.code, 0, staging.stderr + staging.stdout);
    assert.match(staging.stdout, /dep-\w+ succeeded/);

    const promote = client(ci.path, tokens.ci, ['promote', '--from', 'staging', '--to', 'production']);
    let out = '';
    promote.child.stdout?.on('data', (c) => (out += c));
    const id = await new Promise<string>((resolve, reject) => {
      promote.child.stdout?.on('data', () => {
        const m = /deployment (dep-[0-9a-f]+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      promote.done.then((r) => reject(new Error(`promote ended early: ${r.stdout}${r.stderr}`)));
    });
    assert.match(out, new RegExp(`deployment ${id}: shop 1\\.0\\.0 staging → production`));
    // The CI token may deploy but not approve its own deployment.
    const self = await run(tokens.ci, 'approve', id);
    assert.equal(self.code, 3, self.stderr);
    assert.match(self.stderr, /FORBIDDEN.*user ci .*may not approve on production/);
    const go = await run(tokens.approver, 'approve', id, '--reason', 'staging looks fine');
    assert.equal(go.code, 0, go.stderr);
    assert.match(go.stdout, new RegExp(`^approved ${id} through ${url}: staging looks fine`));
    const promoted = await promote.done;
    assert.equal(promoted.code, 0, promoted.stdout + promoted.stderr);
    assert.match(promoted.stdout, new RegExp(`${id} succeeded`));

    const status = await run(tokens.ci, '--json', 'status');
    assert.equal(status.code, 0, status.stderr);
    const envs = (
      JSON.parse(status.stdout) as { environments: { env: string; release: string; by: string }[] }
    ).environments;
    assert.deepEqual(
      envs.map((e) => [e.env, e.release, e.by]),
      [
        ['staging', '1.0.0', 'ci'],
        ['production', '1.0.0', 'ci'],
      ],
    );
    const history = await run(tokens.ci, 'history');
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /production\s+1\.0\.0\s+\S+\s+succeeded\s+ci/);

    // The release is in use: the CI job cannot remove it, and nothing landed in its workspace.
    const rm = await run(tokens.admin, 'release', 'rm', '1.0.0');
    assert.equal(rm.code, 3, rm.stderr);
    assert.match(rm.stderr, /RELEASE_IN_USE.*in use and stays registered: .*staging runs it/);
    assert.match(rm.stderr, /production runs it/);
    assert.deepEqual(readdirSync(ci.path), ['build']);
    assert.equal(existsSync(join(ci.path, '.slipway')), false);
    const secrets = await run(tokens.ci, 'secret', 'list');
    assert.equal(secrets.code, 2);
    assert.match(secrets.stderr, /LOCAL_ONLY/);
    const audit = await run(tokens.admin, 'audit', 'verify');
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /^audit log on http\S+ intact: \d+ entries/);
    const denied = await run(tokens.ci, 'audit', 'verify');
    assert.equal(denied.code, 3, 'the CI token is no admin');
  });

  test('a second build with a new version: folder upload, then rm of an unused one', async () => {
    mkdirSync(join(ci.path, 'build2'));
    cpSync(join(ci.path, 'build'), join(ci.path, 'build2'), { recursive: true });
    writeFileSync(join(ci.path, 'build2', 'VERSION'), '2.0.0');
    const created = await run(tokens.ci, 'release', 'create', '--version', '2.0.0', 'build2');
    assert.equal(created.code, 0, created.stderr);
    const rm = await run(tokens.ci, 'release', 'rm', '2.0.0');
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /^removed release shop 2\.0\.0/);
  });
});
