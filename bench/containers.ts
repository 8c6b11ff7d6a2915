/**
 * Container runtime figures (issue 15), with a real Podman service and registry on 127.0.0.1:
 * (a) start → first instance healthy for a small Node image, the pull from the local registry
 *     included (the image is removed from the engine before each run), median of 5; the peer is
 *     the process runtime starting the same app from a folder, measured in the same run;
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
import type { InstanceSpec } from '../src/runtime/contract.ts';
import { ProcessRuntime } from '../src/runtime/process/process-runtime.ts';
import { EXAMPLE_SERVER, exampleSpec } from '../src/runtime/process/testing.ts';
import { tempDir } from '../src/testing.ts';

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
  vars: {},
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
  const containerMs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await api
      .getImage(image.ref)
      .remove({ force: true })
      .catch(() => undefined);
    const started = performance.now();
    await runtime.start(spec(`a${run}`, image.ref));
    containerMs.push(performance.now() - started);
    await runtime.stop('staging', `a${run}`);
  }
  const folder = tempDir('slipway-bench-process-');
  const processes = new ProcessRuntime({ stateDir: join(folder.path, 'state') });
  const processMs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const s = exampleSpec(folder.path, {
      release: `p${run}`,
      health: { path: '/health', intervalMs: 50, timeoutMs: 500 },
    });
    const started = performance.now();
    await processes.start(s);
    processMs.push(performance.now() - started);
    await processes.stop('staging', `p${run}`);
  }
  await processes.close();
  folder.cleanup();
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
