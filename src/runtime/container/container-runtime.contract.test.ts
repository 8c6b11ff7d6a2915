/**
 * The shared runtime contract on the container runtime, with a real engine (Podman's Docker API
 * service) and a real registry on 127.0.0.1: the example app is built into an image, pushed, and
 * every start pulls it by digest.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { secretForms } from '../../secrets/redact.ts';
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

test('the logs kept when a container is removed hold no secret value, in any form', { skip }, async () => {
  const token = 'tok_keptLogs_Qz8Wx3Rv7Np2';
  // A careless app: it prints the secret it reads from its file, and its base64.
  const careless = `import { readFileSync } from 'node:fs';
const token = readFileSync(process.env.API_TOKEN_FILE, 'utf8');
console.log('token is ' + token + ' / ' + Buffer.from(token).toString('base64'));
${exampleServerInContainer(EXAMPLE_SERVER)}`;
  const ref = (
    await buildAndPush(engine!, registry!.host, {
      name: 'careless-app',
      tag: 'v1',
      files: { 'server.mjs': careless },
    })
  ).ref;
  const scope = `kept-logs-${process.pid}`;
  const state = tempDir('slipway-container-kept-logs-');
  const runtime = new ContainerRuntime({
    stateDir: state.path,
    dockerHost: engine!.dockerHost,
    scope,
    secretsRoot: `${state.path}/secrets`,
  });
  const spec = (release: string) => ({
    app: 'shop',
    env: 'production',
    release,
    cwd: '/',
    command: '',
    image: ref,
    vars: { API_TOKEN: token },
    secretKeys: ['API_TOKEN'],
    count: 1,
    health: { path: '/health', intervalMs: 100, timeoutMs: 500 },
    startTimeoutMs: 10_000,
    stopTimeoutMs: 1000,
  });
  const leaks = (text: string) => secretForms(token).filter((form) => text.includes(form));
  try {
    await runtime.start(spec('v1'));
    await runtime.stop('production', 'v1');
    // A container an earlier runtime left (found by label, no spec in memory) is removed the same way.
    await runtime.start(spec('v2'));
    await runtime.close();
    const next = new ContainerRuntime({
      stateDir: state.path,
      dockerHost: engine!.dockerHost,
      scope,
      secretsRoot: `${state.path}/secrets`,
    });
    await next.ready();
    await next.stopUnclaimed(1000);
    await next.close();
    for (const release of ['v1', 'v2']) {
      const lines = (await next.logs('production', release, 50)).join('\n');
      assert.match(lines, /token is \[redacted:API_TOKEN\]/, `${release}: ${lines}`);
      assert.deepEqual(leaks(lines), [], `${release}: the kept log holds the secret`);
    }
    const files = readdirSync(state.path, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const f of files)
      assert.deepEqual(
        leaks(readFileSync(join(f.parentPath, f.name), 'utf8')),
        [],
        `${f.name} holds the secret`,
      );
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
