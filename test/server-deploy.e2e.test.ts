/**
 * Deployments driven by the server, against a real agent running real instances of the example
 * app: deploy through the API and watch it live over server-sent events; pause a canary, stop the
 * server, start it again and see it resume the deployment in flight; deploy through the CLI with
 * SLIPWAY_URL + SLIPWAY_TOKEN.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { createApiClient, type ServerEvent } from '../src/cli/remote.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, cliProcess, initToken, startSlipway, stopProcess } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
environments:
  staging:
    strategy: { blue-green: { warmFor: 10m } }
    profile: fast
  production:
    profile: fast
    strategy: { canary: { steps: [{ weight: 50, pause: until-resumed }, { weight: 100 }] } }
`;

describe('deployments driven by slipway server (real agent, real instances)', () => {
  const dir = tempDir('slipway-server-e2e-');
  let agent: ChildProcess | undefined;
  let server: ChildProcess | undefined;
  let url = '';
  let token = '';
  const api = () => createApiClient({ url, token });

  const startServer = async (init: boolean) => {
    const s = await startSlipway(
      dir.path,
      ['server', '--port', '0', ...(init ? ['--init'] : [])],
      /API on http/,
      30_000,
    );
    server = s.child;
    url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
    if (init) token = initToken(s.out());
    return s.out;
  };

  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    for (const v of ['1.0.0', '2.0.0', '3.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      assert.equal(
        (await cli(dir.path, 'release', 'create', '--version', v, '--ci', 'passed', join('b', v))).code,
        0,
      );
    }
    agent = (await startSlipway(dir.path, ['agent'], /admin API on/, 30_000)).child;
    await startServer(true);
  });
  after(async () => {
    await stopProcess(server);
    const client = connectLocalAgent(join(dir.path, '.slipway', 'agent'));
    for (const env of ['staging', 'production']) await client.deleteEnv(env).catch(() => {});
    await stopProcess(agent);
    dir.cleanup();
  });

  const follow = async (id: string) => {
    const events: ServerEvent[] = [];
    await api().follow(id, (e) => events.push(e), AbortSignal.timeout(60_000));
    return events;
  };

  test('deploys through the API and streams the progress live to the end', async () => {
    const d = await api().deploy('staging', '1.0.0');
    assert.equal(d.createdBy, 'admin');
    const events = await follow(d.id);
    const timeline = events
      .filter((e) => e.event === 'timeline')
      .map((e) => (e.data as { what: string }).what);
    assert.ok(
      timeline.includes('deployment created') || timeline.some((w) => w.startsWith('began')),
      timeline.join('\n'),
    );
    assert.ok(
      timeline.some((w) => /finalize/.test(w)),
      timeline.join('\n'),
    );
    assert.deepEqual(events.at(-1), { event: 'end', data: { status: 'succeeded', reason: null } });
    const env = (await api().environments('shop')).find((e) => e.env === 'staging');
    assert.equal(env?.release?.version, '1.0.0');
    assert.equal(env?.by, 'admin');
  });

  test('resumes a deployment in flight after the server restarts', async () => {
    const first = await api().deploy('production', '1.0.0');
    assert.equal((await follow(first.id)).at(-1)?.event, 'end');
    const canary = await api().deploy('production', '2.0.0');
    // The canary waits at 50% until someone resumes it.
    for (let i = 0; i < 300; i++) {
      const [d] = await api().history({ app: 'shop', env: 'production', limit: 1 });
      if (d?.status === 'paused') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await api().history({ app: 'shop', env: 'production', limit: 1 }))[0]?.status, 'paused');
    await stopProcess(server);
    const out = await startServer(false);
    assert.match(out(), new RegExp(`resumed 1 deployment\\(s\\): ${canary.id}`));
    await api().act(canary.id, 'resume', 'numbers look fine');
    const events = await follow(canary.id);
    assert.deepEqual(events.at(-1)?.data, { status: 'succeeded', reason: null });
    const env = (await api().environments('shop')).find((e) => e.env === 'production');
    assert.equal(env?.release?.version, '2.0.0');
  });

  test('the CLI deploys through the server when SLIPWAY_URL and SLIPWAY_TOKEN are set', async () => {
    process.env.SLIPWAY_URL = url;
    process.env.SLIPWAY_TOKEN = token;
    try {
      const r = await cliProcess(dir.path, 'deploy', '2.0.0', '--env', 'staging');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, new RegExp(`driven by ${url.replace(/[.]/g, '\\.')}`));
      assert.match(r.stdout, /dep-\w+ succeeded/);
      const history = await cliProcess(dir.path, '--json', 'history', '--env', 'staging');
      const list = JSON.parse(history.stdout) as { status: string; createdBy: string }[];
      assert.deepEqual(
        list.map((d) => [d.status, d.createdBy]),
        [
          ['succeeded', 'admin'],
          ['succeeded', 'admin'],
        ],
      );
    } finally {
      delete process.env.SLIPWAY_URL;
      delete process.env.SLIPWAY_TOKEN;
    }
  });

  test('rolls an environment back through the server by a measured traffic switch', async () => {
    process.env.SLIPWAY_URL = url;
    process.env.SLIPWAY_TOKEN = token;
    try {
      const r = await cliProcess(dir.path, '--json', 'rollback', 'staging');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const result = JSON.parse(r.stdout) as { kind: string; release: string; switchMs: number };
      assert.equal(result.kind, 'switch');
      assert.equal(result.release, '1.0.0');
      assert.ok(result.switchMs >= 0);
    } finally {
      delete process.env.SLIPWAY_URL;
      delete process.env.SLIPWAY_TOKEN;
    }
    const env = (await api().environments('shop')).find((e) => e.env === 'staging');
    assert.equal(env?.release?.version, '1.0.0');
    const again = await fetch(`${url}/api/environments/staging/rollback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '1.0.0' }),
    });
    assert.equal(again.status, 400);
    assert.match(
      ((await again.json()) as { error: { message: string } }).error.message,
      /already runs 1\.0\.0/,
    );
  });

  test('GET /api/environments says what the agent serves, and drift from the record', async () => {
    type Row = { env: string; served: { reachable: boolean; line: string } | null; drift: string | null };
    const rows = async () =>
      (
        (await (
          await fetch(`${url}/api/environments`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as { environments: Row[] }
      ).environments;
    const staging = (await rows()).find((e) => e.env === 'staging');
    assert.deepEqual(
      [staging?.served?.reachable, staging?.served?.line, staging?.drift],
      [true, '1.0.0 at 100% (1/1 healthy)', null],
    );
    // The data plane loses the environment behind slipway's back: the record is no longer true.
    await connectLocalAgent(join(dir.path, '.slipway', 'agent')).deleteEnv('staging');
    const gone = (await rows()).find((e) => e.env === 'staging');
    assert.equal(gone?.served?.line, 'nothing');
    assert.equal(gone?.drift, 'the record says 1.0.0, the agent serves nothing');
  });
});
