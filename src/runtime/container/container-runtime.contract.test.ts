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

test('old images are pruned, keeping the newest unused ones; a pruned release starts again by pulling it', {
  skip,
}, async () => {
  const refs: string[] = [];
  for (const n of [1, 2, 3, 4])
    refs.push(
      (
        await buildAndPush(engine!, registry!.host, {
          name: 'prune-app',
          tag: `v${n}`,
          files: { 'server.mjs': exampleServerInContainer(EXAMPLE_SERVER), BUILD: String(n) },
        })
      ).ref,
    );
  const scope = `prune-${process.pid}`;
  const state = tempDir('slipway-container-prune-');
  const runtime = new ContainerRuntime({
    stateDir: state.path,
    dockerHost: engine!.dockerHost,
    scope,
    secretsRoot: `${state.path}/secrets`,
    keepImages: 1,
  });
  const spec = (release: string, image: string) => ({
    app: 'shop',
    env: 'production',
    release,
    cwd: '/',
    command: '',
    image,
    vars: {},
    count: 1,
    health: { path: '/health', intervalMs: 100, timeoutMs: 500 },
    startTimeoutMs: 10_000,
    stopTimeoutMs: 1000,
  });
  const held = async () =>
    (await engine!.podman('images', '--digests', '--format', '{{.Repository}}@{{.Digest}}'))
      .split('\n')
      .filter((line) => line.startsWith(`${registry!.host}/prune-app@`))
      .sort();
  try {
    for (const [n, ref] of refs.entries()) {
      await runtime.start(spec(`v${n + 1}`, ref));
      if (n > 0) await runtime.stop('production', `v${n}`);
    }
    // v4 runs, v3 is the newest unused one; v1 and v2 are gone.
    assert.deepEqual(await held(), [refs[2], refs[3]].sort());
    // A rollback to a pruned release pulls it again by digest.
    const [again] = await runtime.start(spec('v1', refs[0]!));
    assert.equal(again?.state, 'healthy');
  } finally {
    for (const { env, release } of await runtime.list()) await runtime.stop(env, release);
    await runtime.close();
    await removeScope(engine!, scope);
    state.cleanup();
  }
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
