import assert from 'node:assert/strict';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { tempDir } from '../../testing.ts';
import type { InstanceSpec } from '../contract.ts';
import { isAlive } from './proc.ts';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.ts';
import { eventually, exampleSpec, PidTracker } from './testing.ts';

interface Ctx {
  readonly dir: string;
  readonly stateDir: string;
  readonly pids: PidTracker;
  runtime: ProcessRuntime;
  spec(overrides?: Partial<InstanceSpec>): InstanceSpec;
}

/** Runs a test with a runtime and a release folder; afterwards stops everything and proves no pid is left. */
async function withRuntime(
  options: Partial<ProcessRuntimeOptions>,
  body: (ctx: Ctx) => Promise<void>,
): Promise<void> {
  const release = tempDir('slipway-release-');
  const state = tempDir('slipway-state-');
  const pids = new PidTracker();
  const ctx: Ctx = {
    dir: release.path,
    stateDir: state.path,
    pids,
    runtime: new ProcessRuntime({ stateDir: state.path, ...options }),
    spec: (overrides) => exampleSpec(release.path, overrides),
  };
  try {
    await body(ctx);
  } finally {
    for (const instance of await ctx.runtime.list()) pids.add(instance.pid);
    const releases = new Set((await ctx.runtime.list()).map((i) => `${i.env}\n${i.release}`));
    for (const key of releases) {
      const [env, rel] = key.split('\n') as [string, string];
      await ctx.runtime.stop(env, rel);
    }
    await ctx.runtime.stopUnclaimed(1000);
    await ctx.runtime.close();
    const left = pids.leftovers();
    pids.killAll();
    release.cleanup();
    state.cleanup();
    assert.deepEqual(left, [], 'no instance may be left running after the test');
  }
}

function fetchText(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; details?: readonly string[] }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isAppError(error), `expected an AppError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the start to fail');
}

describe('process runtime (real child processes)', () => {
  test('start resolves only once every instance answers its health check with 2xx', async () => {
    await withRuntime({}, async ({ runtime, spec, pids }) => {
      const instances = await runtime.start(spec({ count: 2, vars: { HEALTHY_AFTER_MS: '400' } }));
      pids.add(...instances.map((i) => i.pid));
      assert.equal(instances.length, 2);
      assert.notEqual(instances[0]!.port, instances[1]!.port);
      for (const instance of instances) {
        assert.equal(instance.state, 'healthy');
        assert.equal((await fetchText(instance.port, '/health')).status, 200);
      }
    });
  });

  test('an instance sees exactly PATH, HOME, PORT and its config vars, nothing else of the parent', async () => {
    process.env.SLIPWAY_PARENT_SECRET = 'must-not-leak';
    try {
      await withRuntime({}, async ({ runtime, spec, pids }) => {
        const vars = { DATABASE_URL: 'postgres://db/shop', LOG_LEVEL: 'info' };
        const [instance] = await runtime.start(spec({ vars }));
        pids.add(instance!.pid);
        const env = JSON.parse((await fetchText(instance!.port, '/env')).body) as Record<string, string>;
        // The shell itself adds PWD, SHLVL and `_`; they say nothing about the config.
        for (const shellVar of ['PWD', 'OLDPWD', 'SHLVL', '_']) delete env[shellVar];
        assert.deepEqual(Object.keys(env).sort(), ['DATABASE_URL', 'HOME', 'LOG_LEVEL', 'PATH', 'PORT']);
        assert.equal(env.DATABASE_URL, vars.DATABASE_URL);
        assert.equal(env.PORT, String(instance!.port));
      });
    } finally {
      delete process.env.SLIPWAY_PARENT_SECRET;
    }
  });

  test('a crashed healthy instance is restarted on the same port', async () => {
    const policy = { backoff: { baseMs: 50, maxMs: 200 } };
    await withRuntime({ policy }, async ({ runtime, spec, pids }) => {
      const [first] = await runtime.start(spec());
      pids.add(first!.pid);
      await fetchText(first!.port, '/crash');
      const again = await eventually(async () => {
        const [now] = await runtime.list();
        return now?.state === 'healthy' && now.restarts === 1 ? now : undefined;
      });
      pids.add(again.pid);
      assert.notEqual(again.pid, first!.pid);
      assert.equal(again.port, first!.port);
      assert.equal((await fetchText(again.port, '/')).status, 200);
      assert.equal(isAlive(first!.pid!), false);
    });
  });

  test('repeated crashes are reported as crashloop', async () => {
    const policy = { backoff: { baseMs: 20, maxMs: 100 }, crashLoop: { crashes: 3, windowMs: 60_000 } };
    await withRuntime({ policy }, async ({ runtime, spec, pids }) => {
      // Long enough after listening for the first health check (every 100 ms) to pass on a loaded
      // machine: 200 ms was not, once, and the start failed before any crash loop.
      const [first] = await runtime.start(spec({ vars: { CRASH_AFTER_MS: '1500' } }));
      pids.add(first!.pid);
      const looping = await eventually(async () => {
        const [now] = await runtime.list();
        pids.add(now?.pid);
        return now?.state === 'crashloop' ? now : undefined;
      }, 60_000);
      assert.ok(looping.restarts >= 3);
      const logs = (await runtime.logs('staging', 'v1', 400)).join('\n');
      // Exponential backoff from 20ms, capped at 100ms; the third crash in the window is a crash loop.
      assert.match(logs, /restart #1 in 20ms\n/);
      assert.match(logs, /restart #2 in 40ms\n/);
      assert.match(logs, /restart #3 in 80ms \(crash loop\)/);
    });
  });

  test('graceful stop lets an in-flight slow request finish', async () => {
    await withRuntime({}, async ({ runtime, spec, pids }) => {
      const [instance] = await runtime.start(spec());
      pids.add(instance!.pid);
      const slow = fetchText(instance!.port, '/slow?ms=600');
      await new Promise((resolve) => setTimeout(resolve, 150));
      await runtime.stop('staging', 'v1');
      assert.deepEqual(await slow, { status: 200, body: 'slow done' });
      assert.equal(isAlive(instance!.pid!), false);
      assert.deepEqual(await runtime.list(), []);
    });
  });

  test('a process ignoring SIGTERM is killed with SIGKILL after stopTimeoutMs', async () => {
    await withRuntime({}, async ({ runtime, spec, pids }) => {
      const [instance] = await runtime.start(spec({ vars: { IGNORE_SIGTERM: '1' }, stopTimeoutMs: 300 }));
      pids.add(instance!.pid);
      await runtime.stop('staging', 'v1');
      assert.equal(isAlive(instance!.pid!), false);
      const logs = await runtime.logs('staging', 'v1', 20);
      assert.ok(logs.some((line) => line.includes('ignoring SIGTERM')));
      assert.ok(logs.some((line) => line.includes('killed (SIGKILL)')));
    });
  });

  test('a command that does not exist fails the start with "command not found"', async () => {
    await withRuntime({}, async ({ runtime, spec }) => {
      const error = await rejection(runtime.start(spec({ command: 'no-such-command-slipway --port $PORT' })));
      assert.equal(error.code, 'INSTANCE_START_FAILED');
      assert.match(
        error.message,
        /release v1 of shop in staging: instance shop-staging-v1-0 .*command not found/,
      );
      assert.ok(error.details?.some((line) => line.includes('not found')));
      assert.deepEqual(await runtime.list(), []);
    });
  });

  test('an app that never becomes healthy fails on timeout, with its last log lines, and is stopped', async () => {
    await withRuntime({}, async ({ runtime, spec, stateDir }) => {
      const error = await rejection(
        runtime.start(spec({ vars: { NEVER_HEALTHY: '1' }, startTimeoutMs: 700 })),
      );
      assert.match(
        error.message,
        /timeout: no healthy answer \(2xx\/3xx\) from GET \/health within 700ms \(last probe: answered 503\)/,
      );
      assert.ok(error.details?.some((line) => line.startsWith('listening on')));
      const records = (await import('node:fs')).readFileSync(`${stateDir}/instances.json`, 'utf8');
      assert.deepEqual(JSON.parse(records), []);
    });
  });

  test('an app that exits at boot fails with its exit code and only its last 20 log lines', async () => {
    await withRuntime({}, async ({ runtime, spec }) => {
      const error = await rejection(runtime.start(spec({ vars: { FAIL_AT_BOOT: '1' } })));
      assert.match(error.message, /exited with code 2/);
      assert.equal(error.details?.length, 20);
      assert.ok(error.details?.some((line) => line === 'fatal: cannot boot'));
      assert.ok(!error.details?.some((line) => line === 'boot line 1'));
    });
  });

  test('a port taken by someone else fails the start with "port in use"', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      await withRuntime({ pickPort: async () => port }, async ({ runtime, spec }) => {
        const error = await rejection(runtime.start(spec()));
        assert.match(error.message, new RegExp(`port ${port} in use`));
      });
    } finally {
      squatter.close();
    }
  });

  test('a new runtime on the same state folder adopts running instances instead of restarting them', async () => {
    await withRuntime({}, async (ctx) => {
      const [before] = await ctx.runtime.start(ctx.spec({ count: 1 }));
      ctx.pids.add(before!.pid);
      await ctx.runtime.close();
      ctx.runtime = new ProcessRuntime({ stateDir: ctx.stateDir });
      assert.deepEqual(ctx.runtime.unclaimedReleases(), [{ env: 'staging', release: 'v1' }]);
      const [after] = await ctx.runtime.start(ctx.spec({ count: 1 }));
      assert.equal(after!.pid, before!.pid);
      assert.equal(after!.port, before!.port);
      assert.equal(after!.restarts, 0);
      assert.equal(after!.state, 'healthy');
      // A changed config is a different instance: the old one is replaced.
      const [changed] = await ctx.runtime.start(ctx.spec({ vars: { LOG_LEVEL: 'debug' } }));
      ctx.pids.add(changed!.pid);
      assert.notEqual(changed!.pid, before!.pid);
      assert.equal(isAlive(before!.pid!), false);
    });
  });

  test('an instance that died while no runtime was watching is started again', async () => {
    await withRuntime({}, async (ctx) => {
      const [before] = await ctx.runtime.start(ctx.spec());
      ctx.pids.add(before!.pid);
      await ctx.runtime.close();
      process.kill(-before!.pid!, 'SIGKILL');
      await eventually(() => (isAlive(before!.pid!) ? undefined : true));
      ctx.runtime = new ProcessRuntime({ stateDir: ctx.stateDir });
      const [after] = await ctx.runtime.start(ctx.spec());
      ctx.pids.add(after!.pid);
      assert.notEqual(after!.pid, before!.pid);
      assert.equal(after!.state, 'healthy');
    });
  });

  test('a compound command line runs under its shell and stop ends the whole process group', async () => {
    await withRuntime({}, async ({ runtime, spec, pids }) => {
      const plain = spec();
      const [instance] = await runtime.start({ ...plain, command: `cd . && ${plain.command}` });
      pids.add(instance!.pid);
      const appPid = Number((await fetchText(instance!.port, '/pid')).body);
      pids.add(appPid);
      assert.notEqual(appPid, instance!.pid, 'the shell is the group leader here');
      await runtime.stop('staging', 'v1');
      assert.equal(isAlive(appPid), false);
    });
  });
});

describe('process runtime: scaling a running release (real child processes)', () => {
  test('start with a new count of the same spec adds or removes instances and keeps the others', async () => {
    await withRuntime({}, async ({ runtime, spec, pids }) => {
      const [first] = await runtime.start(spec({ count: 1 }));
      pids.add(first!.pid);
      const up = await runtime.start(spec({ count: 3 }));
      pids.add(...up.map((i) => i.pid));
      assert.equal(up.length, 3);
      assert.equal(up[0]!.pid, first!.pid);
      assert.ok(up.every((i) => i.state === 'healthy'));
      const down = await runtime.start(spec({ count: 1 }));
      assert.deepEqual(
        down.map((i) => i.pid),
        [first!.pid],
      );
      assert.equal(isAlive(up[1]!.pid!) || isAlive(up[2]!.pid!), false);
    });
  });
});

describe('process runtime: resume after a restart (real child processes)', () => {
  test('resume adopts what runs and returns at once, supervising the replacement of a dead instance until healthy', async () => {
    await withRuntime({ policy: { backoff: { baseMs: 50, maxMs: 200 } } }, async (ctx) => {
      const spec = ctx.spec({ count: 2 });
      const [kept, killed] = await ctx.runtime.start(spec);
      ctx.pids.add(kept!.pid, killed!.pid);
      await ctx.runtime.close();
      process.kill(-killed!.pid!, 'SIGKILL');
      await eventually(() => (isAlive(killed!.pid!) ? undefined : true));
      ctx.runtime = new ProcessRuntime({ stateDir: ctx.stateDir });
      const resumed = await ctx.runtime.resume(spec);
      ctx.pids.add(...resumed.map((i) => i.pid));
      assert.equal(resumed[0]!.pid, kept!.pid);
      assert.equal(resumed[0]!.state, 'healthy');
      assert.equal(resumed[1]!.state, 'starting');
      const healthy = await eventually(async () => {
        const [, second] = await ctx.runtime.list();
        ctx.pids.add(second?.pid);
        return second?.state === 'healthy' ? second : undefined;
      });
      assert.notEqual(healthy.pid, killed!.pid);
    });
  });
});
