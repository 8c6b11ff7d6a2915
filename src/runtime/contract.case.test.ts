/**
 * The Runtime contract suite: every runtime driver (process, ssh, kubernetes) calls
 * `runRuntimeContract` from its own test file. The app under test is the example app of
 * src/runtime/process/testing.ts (or an equivalent honouring the same variables: NEVER_HEALTHY,
 * /crash, RELEASE), reachable at the instances' host:port from this process.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import type { InstanceSpec, Runtime } from './contract.ts';

export interface RuntimeUnderTest {
  readonly runtime: Runtime;
  spec(overrides?: Partial<InstanceSpec>): InstanceSpec;
  /** Stops whatever the test left and proves nothing is left running. */
  cleanup(): Promise<void>;
}

export interface RuntimeContractOptions {
  readonly name: string;
  create(): Promise<RuntimeUnderTest>;
  /** Tests this driver cannot pass, each with the reason. */
  readonly skip?: readonly { readonly reason: string; readonly tests: readonly string[] }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function get(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text() };
}

export function runRuntimeContract(options: RuntimeContractOptions): void {
  const skipped = (name: string) => options.skip?.find((s) => s.tests.includes(name))?.reason;
  const it = (name: string, body: (t: RuntimeUnderTest) => Promise<void>) =>
    test(name, { skip: skipped(name) ?? false }, async () => {
      const under = await options.create();
      try {
        await body(under);
      } finally {
        await under.cleanup();
      }
    });

  describe(`Runtime contract: ${options.name}`, () => {
    it('start resolves with count healthy instances that answer their health path', async ({
      runtime,
      spec,
    }) => {
      const instances = await runtime.start(spec({ count: 2, vars: { RELEASE: 'v1' } }));
      assert.equal(instances.length, 2);
      assert.equal(new Set(instances.map((i) => i.id)).size, 2);
      for (const instance of instances) {
        assert.equal(instance.state, 'healthy');
        assert.equal(instance.release, 'v1');
        assert.equal((await get(instance.host, instance.port, '/health')).status, 200);
        assert.equal((await get(instance.host, instance.port, '/')).body, 'hello from v1');
      }
    });

    it('start of the same spec again is idempotent: the same instances', async ({ runtime, spec }) => {
      const first = await runtime.start(spec());
      const again = await runtime.start(spec());
      assert.deepEqual(
        again.map((i) => [i.id, i.pid, i.port]),
        first.map((i) => [i.id, i.pid, i.port]),
      );
    });

    it('list filters by environment', async ({ runtime, spec }) => {
      await runtime.start(spec({ env: 'staging' }));
      await runtime.start(spec({ env: 'production' }));
      assert.deepEqual(
        (await runtime.list('production')).map((i) => i.env),
        ['production'],
      );
      assert.equal((await runtime.list()).length, 2);
    });

    it('stop ends the instances of one release; stopping it again is a no-op', async ({ runtime, spec }) => {
      const [instance] = await runtime.start(spec());
      await runtime.stop('staging', 'v1');
      assert.deepEqual(await runtime.list('staging'), []);
      await assert.rejects(get(instance!.host, instance!.port, '/health'));
      await runtime.stop('staging', 'v1');
    });

    it('logs return the output of the instances', async ({ runtime, spec }) => {
      const [instance] = await runtime.start(spec());
      const lines = await runtime.logs('staging', 'v1', 100);
      assert.ok(lines.some((line) => line.includes(`listening on ${instance!.port}`)));
    });

    it('a start that cannot become healthy rejects with INSTANCE_START_FAILED and leaves nothing', async ({
      runtime,
      spec,
    }) => {
      const error = await runtime
        .start(spec({ vars: { NEVER_HEALTHY: '1' }, startTimeoutMs: 500 }))
        .catch((e) => e);
      assert.ok(isAppError(error));
      assert.equal(error.code, 'INSTANCE_START_FAILED');
      assert.deepEqual(await runtime.list(), []);
    });

    it('a crashed instance is restarted', async ({ runtime, spec }) => {
      const [instance] = await runtime.start(spec());
      await get(instance!.host, instance!.port, '/crash').catch(() => undefined);
      for (let waited = 0; waited < 15_000; waited += 100) {
        const [now] = await runtime.list('staging');
        if (now !== undefined && now.restarts >= 1 && now.state === 'healthy') return;
        await sleep(100);
      }
      assert.fail('the instance was not restarted within 15s');
    });
  });
}
