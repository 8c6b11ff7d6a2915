/**
 * The shared runtime contract on the container runtime with Docker Engine itself (dockerd from
 * Debian's docker.io, started by the test on its own socket and data folder) and a real registry
 * on 127.0.0.1: the example app is built with Podman, pushed, and every start pulls it by digest
 * through dockerd. dockerd runs without a bridge or firewall rules (see startDockerd), so the
 * runtime runs its containers with host networking (`network: 'host'`) and the app listens on
 * 127.0.0.1:PORT itself; the contract suite is the one every runtime passes, unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tempDir } from '../../testing.ts';
import { runRuntimeContract } from '../contract.case.test.ts';
import { EXAMPLE_SERVER } from '../process/testing.ts';
import { ContainerRuntime } from './container-runtime.ts';
import { connectEngine } from './engine.ts';
import {
  buildAndPush,
  dockerdSkip,
  removeRegistryImages,
  startDockerd,
  startEngine,
  startRegistry,
  type TestDockerd,
  type TestEngine,
  type TestRegistry,
} from './testing.ts';

const skip = dockerdSkip();
const dir = tempDir('slipway-dockerd-contract-');
let dockerd: TestDockerd | undefined;
let builder: TestEngine | undefined;
let registry: TestRegistry | undefined;
let image = '';
let runs = 0;

before(async () => {
  if (skip) return;
  registry = await startRegistry(`${dir.path}/registry`);
  builder = await startEngine(`${dir.path}/podman`, [registry.host]);
  // The contract's example app as it is: it listens on 127.0.0.1 (host networking).
  image = (
    await buildAndPush(builder, registry.host, {
      name: 'dockerd-contract-app',
      tag: 'v1',
      files: { 'server.mjs': EXAMPLE_SERVER },
    })
  ).ref;
  dockerd = await startDockerd(`${dir.path}/dockerd`);
});

after(async () => {
  await dockerd?.stop();
  if (builder && registry) await removeRegistryImages(builder, registry.host);
  await builder?.stop();
  await registry?.stop();
  dir.cleanup();
});

/** Removes every container of `scope` from dockerd; returns their ids. */
async function removeScope(scope: string): Promise<string[]> {
  const { engine } = connectEngine(dockerd!.dockerHost);
  const found = await engine.listContainers({ all: true, filters: { label: [`slipway.scope=${scope}`] } });
  for (const c of found) await engine.getContainer(c.Id).remove({ force: true });
  return found.map((c) => c.Id);
}

if (skip) test('container runtime contract on dockerd', { skip }, () => {});
else
  runRuntimeContract({
    name: 'container (dockerd, real registry)',
    async create() {
      const scope = `dockerd-contract-${process.pid}-${runs++}`;
      const state = tempDir('slipway-dockerd-state-');
      const runtime = new ContainerRuntime({
        stateDir: state.path,
        dockerHost: dockerd!.dockerHost,
        scope,
        secretsRoot: `${state.path}/secrets`,
        network: 'host',
        monitorMs: 100,
      });
      return {
        runtime,
        spec: (overrides) => ({
          app: 'shop',
          env: 'staging',
          release: 'v1',
          cwd: '/',
          command: '',
          image,
          vars: {},
          count: 1,
          health: { path: '/health', intervalMs: 100, timeoutMs: 500 },
          startTimeoutMs: 20_000,
          stopTimeoutMs: 2000,
          ...overrides,
        }),
        async cleanup() {
          for (const { env, release } of await runtime.list()) await runtime.stop(env, release);
          await runtime.close();
          const left = await removeScope(scope);
          state.cleanup();
          assert.deepEqual(left, [], 'containers were left running');
        },
      };
    },
  });
