import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { isAlive } from '../runtime/process/proc.ts';
import { eventually } from '../runtime/process/testing.ts';
import { exampleBody, exampleRelease, pidsOf, rawCall, withAgent } from './testing.ts';

describe('agent with the fake router (in-memory routing, real instances)', () => {
  test('PUT starts the instances, routes them and the status shows them healthy', async () => {
    await withAgent(async ({ client, router, dir, pids }) => {
      const status = await client.putEnv(
        'staging',
        exampleBody([exampleRelease(dir, 'v1', { count: 2 })], 8080),
      );
      pids.add(...pidsOf(status));
      assert.equal(status.healthy, true);
      assert.deepEqual(status.releases[0]!.vars, ['RELEASE']);
      const route = router.route('staging')!;
      assert.equal(route.listen.port, 8080);
      assert.deepEqual(
        route.releases[0]!.backends.map((b) => b.port).sort(),
        status.releases[0]!.instances.map((i) => i.port).sort(),
      );
    });
  });

  test('desired state survives an agent restart: same instances, routes applied again', async () => {
    await withAgent(async (ctx) => {
      const before = await ctx.client.putEnv('staging', exampleBody([exampleRelease(ctx.dir, 'v1')]));
      ctx.pids.add(...pidsOf(before));
      await ctx.restart();
      const after = await ctx.client.status('staging');
      assert.deepEqual(pidsOf(after), pidsOf(before));
      assert.equal(after.releases[0]!.instances[0]!.restarts, 0);
      assert.deepEqual(ctx.router.weights('staging'), { v1: 100 });
      assert.equal(
        ctx.router.route('staging')!.releases[0]!.backends[0]!.port,
        before.releases[0]!.instances[0]!.port,
      );
    });
  });

  test('weights go to the router and are kept in the state file', async () => {
    await withAgent(async ({ client, router, dir, pids, stateDir }) => {
      const releases = [exampleRelease(dir, 'v1'), exampleRelease(dir, 'v2', { weight: 0 })];
      pids.add(...pidsOf(await client.putEnv('staging', exampleBody(releases))));
      const status = await client.setWeights('staging', { v1: 10, v2: 90 });
      assert.deepEqual(router.weights('staging'), { v1: 10, v2: 90 });
      assert.deepEqual(
        status.releases.map((r) => r.weight),
        [10, 90],
      );
      const file = JSON.parse(readFileSync(join(stateDir, 'agent-state.json'), 'utf8'));
      assert.deepEqual(
        file.envs.staging.desired.releases.map((r: { weight: number }) => r.weight),
        [10, 90],
      );
      assert.equal(statSync(join(stateDir, 'agent-state.json')).mode & 0o777, 0o600);
    });
  });

  test('weight changes sent at once: each answers, and the state file ends with the split the router has', async () => {
    await withAgent(async ({ client, router, dir, pids, stateDir }) => {
      const releases = [exampleRelease(dir, 'v1'), exampleRelease(dir, 'v2', { weight: 0 })];
      pids.add(...pidsOf(await client.putEnv('staging', exampleBody(releases))));
      const splits = [10, 20, 30, 40, 50, 60].map((v2) => ({ v1: 100 - v2, v2 }));
      const answers = await Promise.all(splits.map((w) => client.setWeights('staging', w)));
      assert.equal(answers.length, splits.length);
      const last = router.weights('staging')!;
      const file = JSON.parse(readFileSync(join(stateDir, 'agent-state.json'), 'utf8'));
      assert.deepEqual(
        file.envs.staging.desired.releases.map((r: { release: string; weight: number }) => [
          r.release,
          r.weight,
        ]),
        Object.entries(last),
      );
      assert.deepEqual(
        (await client.status('staging')).releases.map((r) => [r.release, r.weight]),
        Object.entries(last),
      );
    });
  });

  test('a release that cannot start is refused and the previous release keeps serving', async () => {
    await withAgent(async ({ client, router, dir, pids }) => {
      pids.add(...pidsOf(await client.putEnv('staging', exampleBody([exampleRelease(dir, 'v1')]))));
      const broken = exampleRelease(dir, 'v2', { command: 'no-such-command-slipway' });
      const error = await client.putEnv('staging', exampleBody([{ ...broken, weight: 100 }])).catch((e) => e);
      assert.ok(isAppError(error));
      assert.equal(error.code, 'INSTANCE_START_FAILED');
      assert.match(error.message, /command not found/);
      const status = await client.status('staging');
      assert.deepEqual(
        status.releases.map((r) => [r.release, r.healthy]),
        [['v1', true]],
      );
      assert.deepEqual(router.weights('staging'), { v1: 100 });
    });
  });

  test('a changed config that cannot start brings the previous config of the release back', async () => {
    await withAgent(async ({ client, router, dir, pids }) => {
      const good = exampleRelease(dir, 'v1', { vars: { LOG_LEVEL: 'info' } });
      pids.add(...pidsOf(await client.putEnv('staging', exampleBody([good]))));
      const bad = { ...good, vars: { LOG_LEVEL: 'debug', NEVER_HEALTHY: '1' }, startTimeoutMs: 500 };
      await assert.rejects(client.putEnv('staging', exampleBody([bad])), { code: 'INSTANCE_START_FAILED' });
      const status = await client.status('staging');
      pids.add(...pidsOf(status));
      assert.equal(status.healthy, true);
      assert.deepEqual(status.releases[0]!.vars, ['LOG_LEVEL']);
      const port = status.releases[0]!.instances[0]!.port;
      const env = (await (await fetch(`http://127.0.0.1:${port}/env`)).json()) as Record<string, string>;
      assert.equal(env.LOG_LEVEL, 'info');
      assert.equal(router.route('staging')!.releases[0]!.backends[0]!.port, port);
    });
  });

  test('logs: the tail, then followed lines as they are written', async () => {
    await withAgent(async ({ client, dir, pids }) => {
      const status = await client.putEnv('staging', exampleBody([exampleRelease(dir, 'v1')]));
      pids.add(...pidsOf(status));
      const tail = await client.logs('staging', 'v1', 50);
      assert.ok(tail.some((line) => line.endsWith('listening on ' + status.releases[0]!.instances[0]!.port)));
      const abort = new AbortController();
      const seen: string[] = [];
      const reading = (async () => {
        for await (const line of client.followLogs('staging', 'v1', { lines: 0, signal: abort.signal })) {
          seen.push(line);
          if (line.includes('healthy again')) abort.abort();
        }
      })();
      await fetch(`http://127.0.0.1:${status.releases[0]!.instances[0]!.port}/crash`).then((r) => r.text());
      await Promise.race([reading, eventually(() => (abort.signal.aborted ? true : undefined), 15_000)]);
      abort.abort();
      await reading;
      assert.ok(seen.some((line) => line.includes('exited: exited with code 1')));
      pids.add(...pidsOf(await client.status('staging')));
    });
  });

  test('DELETE stops the environment: routing removed, instances ended', async () => {
    await withAgent(async ({ client, router, dir }) => {
      const status = await client.putEnv('staging', exampleBody([exampleRelease(dir, 'v1')]));
      const [pid] = pidsOf(status);
      await client.deleteEnv('staging');
      assert.equal(router.route('staging'), undefined);
      assert.equal(isAlive(pid!), false);
      assert.deepEqual(await client.statusAll(), []);
    });
  });
});

describe('agent admin API: auth and validation', () => {
  test('every route but /v1/health needs the bearer token; the token file is 0600', async () => {
    await withAgent(async ({ running, token }) => {
      assert.equal(statSync(running.tokenFile).mode & 0o777, 0o600);
      assert.equal((await rawCall(`${running.url}/v1/health`, 'GET')).status, 200);
      const none = await rawCall(`${running.url}/v1/envs`, 'GET');
      assert.equal(none.status, 401);
      assert.equal(none.json.code, 'UNAUTHORIZED');
      assert.equal((await rawCall(`${running.url}/v1/envs`, 'GET', { token: `${token}x` })).status, 401);
      assert.equal(
        (await rawCall(`${running.url}/v1/envs/x`, 'PUT', { token: 'wrong', body: '{}' })).status,
        401,
      );
      assert.equal((await rawCall(`${running.url}/v1/envs`, 'GET', { token })).status, 200);
    });
  });

  test('bad bodies are rejected with 400 naming the field', async () => {
    await withAgent(async ({ running, token, dir }) => {
      const put = (body: string) => rawCall(`${running.url}/v1/envs/staging`, 'PUT', { token, body });
      const notJson = await put('{oops');
      assert.equal(notJson.status, 400);
      assert.match(notJson.json.message!, /not valid JSON/);

      const heavy = exampleBody([exampleRelease(dir, 'v1', { weight: 150 })]);
      const tooHeavy = await put(JSON.stringify(heavy));
      assert.equal(tooHeavy.status, 400);
      assert.ok(tooHeavy.json.details!.some((d) => d.startsWith('releases.0.weight:')));

      const split = exampleBody([
        exampleRelease(dir, 'v1', { weight: 60 }),
        exampleRelease(dir, 'v2', { weight: 30 }),
      ]);
      const notHundred = await put(JSON.stringify(split));
      assert.match(notHundred.json.message!, /releases: weights must add up to 100, got 90/);

      const relative = await put(
        JSON.stringify(exampleBody([exampleRelease(dir, 'v1', { cwd: 'rel/dir' })])),
      );
      assert.ok(relative.json.details!.some((d) => d === 'releases.0.cwd: must be an absolute path'));

      const { listen: _listen, ...noListen } = exampleBody([exampleRelease(dir, 'v1')]);
      assert.ok((await put(JSON.stringify(noListen))).json.details!.some((d) => d.startsWith('listen:')));

      const badName = await rawCall(`${running.url}/v1/envs/..%2Fetc`, 'PUT', {
        token,
        body: JSON.stringify(exampleBody([exampleRelease(dir, 'v1')])),
      });
      assert.equal(badName.status, 400);
      assert.match(badName.json.message!, /environment name "\.\.\/etc"/);

      const weights = await rawCall(`${running.url}/v1/envs/staging/weights`, 'POST', {
        token,
        body: JSON.stringify({ weights: { v1: 'all' } }),
      });
      assert.equal(weights.status, 400);
      assert.ok(weights.json.details!.some((d) => d.startsWith('weights.v1:')));
    });
  });

  test('GET desired leaves secret values out; writing it back keeps them and the instances', async () => {
    await withAgent(async ({ client, running, token, dir, pids }) => {
      const secret = 'sk_live_5f2c9e1a7b3d4e6f';
      const v1 = exampleRelease(dir, 'v1', {
        vars: { RELEASE: 'v1', API_TOKEN: secret },
        secretKeys: ['API_TOKEN'],
      });
      const before = await client.putEnv('staging', exampleBody([v1]));
      pids.add(...pidsOf(before));
      const raw = await rawCall(`${running.url}/v1/envs/staging/desired`, 'GET', { token });
      assert.equal(raw.status, 200);
      assert.ok(!JSON.stringify(raw.json).includes(secret), 'the secret value left the agent');
      const shown = await client.desired('staging');
      assert.deepEqual(shown!.releases[0]!.vars, { RELEASE: 'v1' });
      assert.deepEqual(shown!.releases[0]!.secretKeys, ['API_TOKEN']);
      // Written back as read: the secret is kept, so the release's spec is unchanged and its
      // instances keep running (a changed environment would replace them).
      const { env: _env, ...body } = shown!;
      const after = await client.putEnv('staging', body);
      assert.deepEqual(pidsOf(after), pidsOf(before));
      assert.deepEqual([...after.releases[0]!.vars].sort(), ['API_TOKEN', 'RELEASE']);
    });
  });

  test('a release that prints its secret and dies: the error names the failure, never the value', async () => {
    await withAgent(async ({ running, token, dir }) => {
      const secret = 'sk_live_9a8b7c6d5e4f3a2b';
      const crasher = exampleRelease(dir, 'v1', {
        command: `node -e "console.log('token is ' + process.env.API_TOKEN); process.exit(3)"`,
        vars: { API_TOKEN: secret },
        secretKeys: ['API_TOKEN'],
        startTimeoutMs: 3000,
      });
      const put = await rawCall(`${running.url}/v1/envs/staging`, 'PUT', {
        token,
        body: JSON.stringify(exampleBody([crasher])),
      });
      assert.ok(put.status >= 400, `status ${put.status}`);
      const text = JSON.stringify(put.json);
      assert.match(text, /token is \[redacted:API_TOKEN\]/);
      assert.ok(!text.includes(secret), `the secret left the agent: ${text}`);
    });
  });
});
