/**
 * The shared runtime contract on the container runtime, with a real engine (Podman's Docker API
 * service) and a real registry on 127.0.0.1: the example app is built into an image, pushed, and
 * every start pulls it by digest.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tempDir } from '../../testing.ts';
import { runRuntimeContract } from '../contract.case.test.ts';
import { EXAMPLE_SERVER } from '../process/testing.ts';
import { ContainerRuntime } from './container-runtime.ts';
import {
  buildAndPush,
  engineSkip,
  exampleServerInContainer,
  removeRegistryImages,
  removeScope,
  startEngine,
  startRegistry,
  type TestEngine,
  type TestRegistry,
} from './testing.ts';

const skip = engineSkip();
const dir = tempDir('slipway-container-contract-');
let engine: TestEngine | undefined;
let registry: TestRegistry | undefined;
let image = '';
let runs = 0;

before(async () => {
  if (skip) return;
  registry = await startRegistry(`${dir.path}/registry`);
  engine = await startEngine(`${dir.path}/engine`, [registry.host]);
  image = (
    await buildAndPush(engine, registry.host, {
      name: 'contract-app',
      tag: 'v1',
      files: { 'server.mjs': exampleServerInContainer(EXAMPLE_SERVER) },
    })
  ).ref;
});

after(async () => {
  if (engine && registry) await removeRegistryImages(engine, registry.host);
  await engine?.stop();
  await registry?.stop();
  dir.cleanup();
});

if (skip) test('container runtime contract', { skip }, () => {});
else
  runRuntimeContract({
    name: 'container (podman, real registry)',
    async create() {
      const scope = `contract-${process.pid}-${runs++}`;
      const state = tempDir('slipway-container-state-');
      const runtime = new ContainerRuntime({
        stateDir: state.path,
        dockerHost: engine!.dockerHost,
        scope,
        secretsRoot: `${state.path}/secrets`,
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
          startTimeoutMs: 10_000,
          stopTimeoutMs: 2000,
          ...overrides,
        }),
        async cleanup() {
          for (const { env, release } of await runtime.list()) await runtime.stop(env, release);
          await runtime.close();
          const left = await removeScope(engine!, scope);
          state.cleanup();
          assert.deepEqual(left, [], 'containers were left running');
        },
      };
    },
  });
