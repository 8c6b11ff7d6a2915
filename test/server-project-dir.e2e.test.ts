/**
 * `slipway server -f sub/slipway.yaml` started from another folder: the project is the folder of
 * the config, so a deployment through the API runs with sub/.env.<env>'s values (real agent, real
 * instances of the example app).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { createApiClient } from '../src/cli/remote.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, initToken, startSlipway, stopProcess } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
environments:
  staging: { strategy: rolling, profile: fast }
`;

describe('slipway server -f sub/slipway.yaml from another folder (real agent, real instances)', () => {
  const dir = tempDir('slipway-server-f-');
  const sub = join(dir.path, 'sub');
  let agent: ChildProcess | undefined;
  let server: ChildProcess | undefined;

  before(async () => {
    mkdirSync(sub);
    writeFileSync(join(sub, 'slipway.yaml'), CONFIG);
    writeFileSync(join(sub, '.env.staging'), 'GREETING=hello-from-sub\n');
    // A decoy where the server was started: it must not be read.
    writeFileSync(join(dir.path, '.env.staging'), 'GREETING=wrong-folder\n');
    cpSync(join(repoRoot, 'examples/shop/app'), join(sub, 'build'), { recursive: true });
    const r = await cli(sub, 'release', 'create', '--version', '1.0.0', '--ci', 'passed', 'build');
    assert.equal(r.code, 0, r.stderr);
    agent = (await startSlipway(sub, ['agent'], /admin API on/, 30_000)).child;
  });
  after(async () => {
    await stopProcess(server);
    await connectLocalAgent(join(sub, '.slipway', 'agent'))
      .deleteEnv('staging')
      .catch(() => {});
    await stopProcess(agent);
    dir.cleanup();
  });

  test('a deployment through the API reads sub/.env.staging', async () => {
    const s = await startSlipway(
      dir.path,
      ['server', '-f', 'sub/slipway.yaml', '--port', '0', '--init'],
      /API on http/,
      30_000,
    );
    server = s.child;
    const url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
    const token = initToken(s.out());
    const api = createApiClient({ url, token });
    const d = await api.deploy('staging', '1.0.0');
    const events: { event: string; data: unknown }[] = [];
    await api.follow(d.id, (e) => events.push(e), AbortSignal.timeout(60_000));
    assert.deepEqual(events.at(-1), { event: 'end', data: { status: 'succeeded', reason: null } });
    const port = (await connectLocalAgent(join(sub, '.slipway', 'agent')).status('staging')).listen.port;
    const body = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { greeting: string };
    assert.equal(body.greeting, 'hello-from-sub');
  });
});
