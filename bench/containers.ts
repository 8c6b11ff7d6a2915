/**
 * Container runtime figures (issue 15), with a real Podman service and registry on 127.0.0.1:
 * (a) start → first instance healthy for a small Node image, the pull from the local registry
 *     included (the image is removed from the engine before each run), and → switched: the builtin
 *     router (its own process, as in the agent) moved from the running release to the new one
 *     until the first answer comes from it; medians of 5. The peer is the process runtime starting
 *     the same app from a folder, measured the same way in the same run;
 * (c) 20 releases in a row, each started while the previous one stops (keepImages 3): the disk the
 *     repository's images take in the engine after each, which must stay bounded.
 *
 *   node bench/containers.ts
 *   BENCH_RELEASES=5 node bench/containers.ts      # shorter (c)
 */
import { join } from 'node:path';
import { ContainerRuntime } from '../src/runtime/container/container-runtime.ts';
import { connectEngine } from '../src/runtime/container/engine.ts';
import {
  buildAndPush,
  exampleServerInContainer,
  removeRegistryImages,
  removeScope,
  startEngine,
  startRegistry,
} from '../src/runtime/container/testing.ts';
import type { Instance, InstanceSpec, Runtime } from '../src/runtime/contract.ts';
import { freePort } from '../src/runtime/process/ports.ts';
import { ProcessRuntime } from '../src/runtime/process/process-runtime.ts';
import { EXAMPLE_SERVER, exampleSpec } from '../src/runtime/process/testing.ts';
import { tempDir } from '../src/testing.ts';
import { builtinChild } from './builtin-child-router.ts';

const RUNS = 5;
const RELEASES = Number(process.env.BENCH_RELEASES ?? 20);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const dir = tempDir('slipway-bench-containers-');
const registry = await startRegistry(join(dir.path, 'registry'));
const engine = await startEngine(join(dir.path, 'engine'), [registry.host]);
const scope = `bench-${process.pid}`;
const state = join(dir.path, 'state');
const runtime = new ContainerRuntime({
  stateDir: state,
  dockerHost: engine.dockerHost,
  scope,
  secretsRoot: join(state, 'secrets'),
  keepImages: 3,
  monitorMs: 200,
});
const spec = (release: string, image: string): InstanceSpec => ({
  app: 'bench',
  env: 'staging',
  release,
  cwd: '/',
  command: '',
  image,
  vars: { RELEASE: release },
  count: 1,
  health: { path: '/health', intervalMs: 50, timeoutMs: 500 },
  startTimeoutMs: 30_000,
  stopTimeoutMs: 1000,
});
const server = exampleServerInContainer(EXAMPLE_SERVER);

try {
  // (a) start → healthy, pull included, against the process runtime.
  const image = await buildAndPush(engine, registry.host, {
    name: 'bench-a',
    tag: 'v1',
    files: { 'server.mjs': server },
  });
  const { engine: api } = connectEngine(engine.dockerHost);
  const router = builtinChild();
  const listen = { host: '127.0.0.1', port: await freePort() };
  const backends = (list: readonly Instance[]) => list.map((i) => ({ id: i.id, host: i.host, port: i.port }));
  /** start → healthy, then → the router's first answer from the new release (pull included for images). */
  const measure = async (
    rt: Runtime,
    blue: InstanceSpec,
    next: (run: number) => InstanceSpec,
    before?: (run: number) => Promise<void>,
  ) => {
    const blueBackends = backends(await rt.start(blue));
    await router.apply({
      env: 'staging',
      listen,
      releases: [{ release: blue.release, weight: 100, backends: blueBackends }],
    });
    const healthy: number[] = [];
    const switched: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await before?.(run);
      const s = next(run);
      const started = performance.now();
      const instances = await rt.start(s);
      healthy.push(performance.now() - started);
      await router.apply({
        env: 'staging',
        listen,
        releases: [
          { release: blue.release, weight: 0, backends: blueBackends },
          { release: s.release, weight: 100, backends: backends(instances) },
        ],
      });
      for (;;) {
        const body = await fetch(`http://127.0.0.1:${listen.port}/`).then(
          (r) => r.text(),
          () => '',
        );
        if (body === `hello from ${s.release}`) break;
      }
      switched.push(performance.now() - started);
      await router.apply({
        env: 'staging',
        listen,
        releases: [{ release: blue.release, weight: 100, backends: blueBackends }],
      });
      await rt.stop('staging', s.release);
    }
    await rt.stop('staging', blue.release);
    return { healthy, switched };
  };
  const blueImage = await buildAndPush(engine, registry.host, {
    name: 'bench-a-blue',
    tag: 'v1',
    files: { 'server.mjs': server },
  });
  const containers = await measure(
    runtime,
    spec('a-blue', blueImage.ref),
    (run) => spec(`a${run}`, image.ref),
    async () => {
      await api
        .getImage(image.ref)
        .remove({ force: true })
        .catch(() => undefined);
    },
  );
  const folder = tempDir('slipway-bench-process-');
  const processes = new ProcessRuntime({ stateDir: join(folder.path, 'state') });
  const health = { path: '/health', intervalMs: 50, timeoutMs: 500 };
  const pspec = (release: string) =>
    exampleSpec(folder.path, { release, health, vars: { RELEASE: release } });
  const procs = await measure(processes, pspec('p-blue'), (run) => pspec(`p${run}`));
  await processes.close();
  await router.close();
  folder.cleanup();
  const containerMs = containers.healthy;
  const processMs = procs.healthy;
  console.log(
    `(a) start → switched (first answer from the new release through the builtin router), median of ${RUNS}: container ${median(containers.switched).toFixed(0)} ms (runs ${containers.switched.map((m) => m.toFixed(0)).join(', ')}), process ${median(procs.switched).toFixed(0)} ms; ratio ${(median(containers.switched) / median(procs.switched)).toFixed(1)}×`,
  );
  console.log(
    `(a) start → healthy, median of ${RUNS}: container ${median(containerMs).toFixed(0)} ms (pull from the local registry included; runs ${containerMs.map((m) => m.toFixed(0)).join(', ')}), process ${median(processMs).toFixed(0)} ms; ratio ${(median(containerMs) / median(processMs)).toFixed(1)}×`,
  );

  // (c) RELEASES releases in a row with pruning: disk held by the repository's images.
  const sizes: number[] = [];
  const counts: number[] = [];
  let base = 0;
  let previous: string | undefined;
  for (let n = 1; n <= RELEASES; n++) {
    const built = await buildAndPush(engine, registry.host, {
      name: 'bench-c',
      tag: `r${n}`,
      files: { 'server.mjs': server, BUILD: `${n}\n${'x'.repeat(512 * 1024)}` },
    });
    await runtime.start(spec(`r${n}`, built.ref));
    if (previous) await runtime.stop('staging', previous);
    previous = `r${n}`;
    const all = await api.listImages();
    base = all.find((i) => (i.RepoTags ?? []).some((t) => t.includes('slipway-node-base')))?.Size ?? 0;
    const images = all.filter((i) =>
      (i.RepoDigests ?? []).some((d) => d.startsWith(`${registry.host}/bench-c@`)),
    );
    // Every image shares the base's layers; what each adds on top is its own disk.
    counts.push(images.length);
    sizes.push(images.reduce((sum, i) => sum + Math.max(0, i.Size - base), 0));
  }
  console.log(
    `(c) ${RELEASES} releases in a row, keepImages 3: images held after each release: ${counts.join(' ')}; their own layers (above the shared ${mb(base)} base): max ${mb(Math.max(...sizes))}, last ${mb(sizes.at(-1) ?? 0)}; without pruning it would be ${mb(((sizes.at(-1) ?? 0) / Math.max(1, counts.at(-1) ?? 1)) * RELEASES)}`,
  );
} finally {
  for (const { env, release } of await runtime.list()) await runtime.stop(env, release);
  await runtime.close();
  await removeScope(engine, scope);
  await removeRegistryImages(engine, registry.host);
  await engine.stop();
  await registry.stop();
  dir.cleanup();
}
