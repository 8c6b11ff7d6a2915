import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { isAlive } from '../runtime/process/proc.ts';
import { eventually } from '../runtime/process/testing.ts';
import { deployBlueGreen, rollbackBlueGreen } from './bluegreen.ts';
import { exampleRelease, pidsOf, withAgent } from './testing.ts';

const env = 'production';
const listen = { port: 0 };

describe('blue-green through the agent (fake router, real instances)', () => {
  test('switches all traffic at once, keeps the previous release warm, rolls back by weight only', async () => {
    await withAgent(async ({ client, router, dir, pids }) => {
      const first = await deployBlueGreen(client, env, exampleRelease(dir, 'v1', { count: 2 }), {
        warmMs: 60_000,
        listen,
      });
      assert.deepEqual(first, { release: 'v1', previous: null, switchMs: 0, warmUntil: null });
      const v1Pids = pidsOf(await client.status(env));
      pids.add(...v1Pids);

      const second = await deployBlueGreen(client, env, exampleRelease(dir, 'v2'), { warmMs: 60_000 });
      pids.add(...pidsOf(await client.status(env)));
      assert.equal(second.previous, 'v1');
      assert.ok(second.switchMs >= 0 && second.warmUntil !== null);
      // Never a split: every weight the router saw is 0 or 100.
      const seen = router.history.filter((h) => h.env === env).flatMap((h) => Object.values(h.weights));
      assert.ok(
        seen.every((w) => w === 0 || w === 100),
        `weights seen: ${seen}`,
      );
      assert.deepEqual(router.weights(env), { v2: 100, v1: 0 });
      assert.ok(
        v1Pids.every((pid) => isAlive(pid!)),
        'the previous release stays warm',
      );

      const v2Pids = pidsOf(await client.status(env)).filter((p) => !v1Pids.includes(p));
      const back = await rollbackBlueGreen(client, env);
      assert.equal(back.outcome, 'switched');
      assert.ok(
        back.outcome === 'switched' && back.release === 'v1' && back.from === 'v2' && back.switchMs >= 0,
      );
      assert.deepEqual(router.weights(env), { v1: 100 });
      assert.deepEqual(pidsOf(await client.status(env)), v1Pids, 'rolled back to the same warm processes');
      assert.ok(
        v2Pids.every((pid) => !isAlive(pid!)),
        'the bad release is stopped',
      );
    });
  });

  test('after the warm time the previous release is stopped and rollback says a redeploy is needed', async () => {
    await withAgent(async ({ client, dir, pids }) => {
      await deployBlueGreen(client, env, exampleRelease(dir, 'v1'), { warmMs: 300, listen });
      const v1Pids = pidsOf(await client.status(env));
      pids.add(...v1Pids);
      await deployBlueGreen(client, env, exampleRelease(dir, 'v2'), { warmMs: 300 });
      pids.add(...pidsOf(await client.status(env)));
      await eventually(async () => ((await client.desired(env))?.releases.length === 1 ? true : undefined));
      assert.ok(v1Pids.every((pid) => !isAlive(pid!)));
      const back = await rollbackBlueGreen(client, env);
      assert.equal(back.outcome, 'redeploy_needed');
      assert.match(back.outcome === 'redeploy_needed' ? back.reason : '', /redeploy the previous release/);
    });
  });

  test('the warm period survives an agent restart', async () => {
    await withAgent(async (ctx) => {
      await deployBlueGreen(ctx.client, env, exampleRelease(ctx.dir, 'v1'), { warmMs: 60_000, listen });
      const v1Pids = pidsOf(await ctx.client.status(env));
      ctx.pids.add(...v1Pids);
      await deployBlueGreen(ctx.client, env, exampleRelease(ctx.dir, 'v2'), { warmMs: 60_000 });
      ctx.pids.add(...pidsOf(await ctx.client.status(env)));
      await ctx.restart();
      const back = await rollbackBlueGreen(ctx.client, env);
      assert.equal(back.outcome, 'switched');
      assert.deepEqual(pidsOf(await ctx.client.status(env)), v1Pids);
      assert.deepEqual(ctx.router.weights(env), { v1: 100 });
    });
  });

  test('a new release that never becomes healthy gets no traffic; the current one keeps serving', async () => {
    await withAgent(async ({ client, router, dir, pids }) => {
      await deployBlueGreen(client, env, exampleRelease(dir, 'v1'), { warmMs: 60_000, listen });
      pids.add(...pidsOf(await client.status(env)));
      const broken = exampleRelease(dir, 'v2', { vars: { NEVER_HEALTHY: '1' }, startTimeoutMs: 500 });
      const error = await deployBlueGreen(client, env, broken, { warmMs: 60_000 }).catch((e) => e);
      assert.ok(isAppError(error) && error.code === 'INSTANCE_START_FAILED');
      assert.deepEqual(router.weights(env), { v1: 100 });
      assert.deepEqual(
        (await client.status(env)).releases.map((r) => [r.release, r.healthy]),
        [['v1', true]],
      );
    });
  });
});
