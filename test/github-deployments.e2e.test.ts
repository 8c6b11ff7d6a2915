/**
 * Deployments reported to GitHub, against a FAKE GitHub: GitHub cannot be reached from here, so
 * a local HTTP server plays its REST Deployments API as documented (API version 2022-11-28): the
 * contract below is what it checks of every request (path, headers, body fields and their
 * values) and what it answers (201 with an id; 401 "Bad credentials" for another token). The
 * deployments themselves are real: `slipway agent`, the example app, `slipway deploy`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const TOKEN = 'ghp_fakeGitHubToken0123456789abcdefABCD';
const STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];

interface Recorded {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** The recorded contract of POST /repos/{owner}/{repo}/deployments[/{id}/statuses]. */
function fakeGithub(): { server: Server; calls: Recorded[]; problems: string[] } {
  const calls: Recorded[] = [];
  const problems: string[] = [];
  let next = 1000;
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return reply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const expect = (ok: boolean, what: string) => ok || problems.push(`${req.url}: ${what}`);
    expect(req.method === 'POST', `method ${req.method}`);
    expect(req.headers.accept === 'application/vnd.github+json', `accept ${req.headers.accept}`);
    expect(req.headers['x-github-api-version'] === '2022-11-28', 'x-github-api-version');
    expect(Boolean(req.headers['user-agent']), 'GitHub refuses requests without a user-agent');
    const body = JSON.parse(text) as Record<string, unknown>;
    calls.push({ path: req.url ?? '', body });
    if (req.url === '/repos/acme/shop/deployments') {
      expect(typeof body.ref === 'string' && body.ref.length > 0, 'ref is required');
      expect(typeof body.environment === 'string', 'environment');
      expect(body.auto_merge === false, 'auto_merge false: the release is built already');
      expect(Array.isArray(body.required_contexts), 'required_contexts');
      expect(typeof body.production_environment === 'boolean', 'production_environment');
      const id = next++;
      return reply(201, { id, ref: body.ref, environment: body.environment, sha: body.ref });
    }
    const m = /^\/repos\/acme\/shop\/deployments\/(\d+)\/statuses$/.exec(req.url ?? '');
    if (m) {
      expect(STATES.includes(body.state as string), `state ${body.state}`);
      expect(typeof body.description === 'string' && body.description.length <= 140, 'description ≤ 140');
      return reply(201, { id: next++, state: body.state, environment_url: body.environment_url ?? '' });
    }
    reply(404, { message: 'Not Found' });
  });
  return { server, calls, problems };
}

describe('deployments reported to a fake GitHub (recorded Deployments API contract)', () => {
  const dir = tempDir('slipway-github-');
  const gh = fakeGithub();
  let agent: ChildProcess;
  before(async () => {
    await new Promise<void>((r) => gh.server.listen(0, '127.0.0.1', r));
    const api = `http://127.0.0.1:${(gh.server.address() as AddressInfo).port}`;
    writeFileSync(
      join(dir.path, 'slipway.yaml'),
      `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
github: { repository: acme/shop, api: "${api}" }
environments:
  staging:
    url: https://staging.shop.example
    strategy: { blue-green: { warmFor: 1m } }
    profile: fast
    checks: [{ name: e2e, run: "test \\"$SLIPWAY_RELEASE\\" != 2.0.0", timeout: 20s }]
`,
    );
    for (const v of ['1.0.0', '2.0.0', '3.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      const commit = v === '3.0.0' ? [] : ['--commit', `abc${v.replaceAll('.', '')}`];
      const r = await cli(
        dir.path,
        'release',
        'create',
        '--version',
        v,
        '--ci',
        'passed',
        ...commit,
        join('b', v),
      );
      assert.equal(r.code, 0, r.stderr);
    }
    agent = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), 'agent'],
      { cwd: dir.path, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) =>
      agent.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve()),
    );
  });
  after(async () => {
    delete process.env.GITHUB_TOKEN;
    await connectLocalAgent(join(dir.path, '.slipway', 'agent'))
      .deleteEnv('staging')
      .catch(() => {});
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await new Promise((r) => gh.server.close(r));
    dir.cleanup();
  });

  test('a deployment that succeeds: in_progress, then success with the environment URL', async () => {
    process.env.GITHUB_TOKEN = TOKEN;
    const r = await cli(dir.path, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(gh.problems, []);
    assert.deepEqual(
      gh.calls.map((c) => [c.path, c.body.state ?? c.body.ref]),
      [
        ['/repos/acme/shop/deployments', 'abc100'],
        ['/repos/acme/shop/deployments/1000/statuses', 'in_progress'],
        ['/repos/acme/shop/deployments/1000/statuses', 'success'],
      ],
    );
    assert.equal(gh.calls[0]?.body.environment, 'staging');
    assert.equal(gh.calls[0]?.body.production_environment, true);
    assert.equal(gh.calls[2]?.body.environment_url, 'https://staging.shop.example');
    assert.match(r.stdout, /GitHub deployment 1000: in_progress/);
  });

  test('a deployment rolled back by its check: failure, with the reason', async () => {
    gh.calls.length = 0;
    const r = await cli(dir.path, 'deploy', '2.0.0', '--env', 'staging');
    assert.notEqual(r.code, 0);
    assert.deepEqual(gh.problems, []);
    const last = gh.calls.at(-1);
    assert.equal(last?.body.state, 'failure');
    assert.match(String(last?.body.description), /^rolled_back: check e2e failed/);
  });

  test('no commit, or a token GitHub refuses: the deployment goes on and says why GitHub was not told', async () => {
    gh.calls.length = 0;
    const nocommit = await cli(dir.path, 'deploy', '3.0.0', '--env', 'staging');
    assert.equal(nocommit.code, 0, nocommit.stdout + nocommit.stderr);
    assert.match(
      nocommit.stdout,
      /GitHub not told: release 3\.0\.0 has no commit \(register it with --commit SHA\)/,
    );
    assert.equal(gh.calls.length, 0);
    process.env.GITHUB_TOKEN = 'ghp_revokedToken9876543210';
    const refused = await cli(dir.path, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(refused.code, 0, refused.stdout + refused.stderr);
    assert.match(
      refused.stdout,
      /GitHub not told: GitHub answered 401 to POST \/deployments: Bad credentials/,
    );
    assert.ok(!refused.stdout.includes('ghp_revoked') && !refused.stderr.includes('ghp_revoked'));
  });
});
