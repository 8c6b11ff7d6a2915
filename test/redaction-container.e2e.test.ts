/**
 * Issue 7's redaction test on the container runtime (issue 15): the same deployments, secrets and
 * searches as on processes (test/redaction-suite.ts), with every release an image built FROM the
 * local Node base, pushed to a real registry on 127.0.0.1, registered with `slipway release create
 * --image`, and run as containers by a real Podman service (DOCKER_HOST). Secrets reach the app as
 * files (NAME_FILE), which it reads and prints like any careless app. Beyond slipway's own outputs,
 * what an engine user sees must hold no secret either: `podman inspect` of each container and of its
 * image, the environment its process runs with, its filesystem (`podman export`) and the image's
 * layers (`podman save`). After the end the secret files on the host's tmpfs are gone.
 * The secret scan of a release's files is not part of it: slipway does not scan image layers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scopeOf } from '../src/runtime/by-image.ts';
import { defaultSecretsRoot } from '../src/runtime/container/secret-files.ts';
import {
  buildAndPush,
  engineSkip,
  removeRegistryImages,
  startEngine,
  startRegistry,
  type TestEngine,
  type TestRegistry,
} from '../src/runtime/container/testing.ts';
import { tempDir } from '../src/testing.ts';
import { redactionSuite } from './redaction-suite.ts';

const work = tempDir('slipway-redaction-container-');
let registry: TestRegistry | undefined;
let engine: TestEngine | undefined;
const previousDockerHost = process.env.DOCKER_HOST;

/** The containers of this test: of images in its own registry. */
async function ours(e: TestEngine, host: string): Promise<{ name: string; image: string }[]> {
  return (await e.podman('ps', '-a', '--format', '{{.Names}} {{.ImageID}} {{.Image}}'))
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, , image]) => image?.startsWith(`${host}/`))
    .map(([name, image]) => ({ name: name ?? '', image: image ?? '' }));
}

const hitsIn = (where: string, text: string, secrets: readonly string[]) =>
  secrets.filter((s) => text.includes(s)).map((s) => `${where}: ${s.slice(0, 12)}…`);

redactionSuite('secrets through a real deployment on containers: exact environments, zero leaks', {
  skip: engineSkip(),
  async setup() {
    registry = await startRegistry(join(work.path, 'registry'));
    engine = await startEngine(join(work.path, 'engine'), [registry.host]);
    // The agent the harness starts in this process reaches the engine through DOCKER_HOST.
    process.env.DOCKER_HOST = engine.dockerHost;
    return `image: ${registry.host}/shop`;
  },
  async release(h, version, files, run) {
    const e = engine as TestEngine;
    const host = (registry as TestRegistry).host;
    await buildAndPush(e, host, {
      name: 'shop',
      tag: version,
      files,
      cmd: ['/usr/local/bin/node', '/app/server.js'],
      labels: { 'org.opencontainers.image.version': version },
    });
    const r = await run('release', 'create', '--ci', 'passed', '--image', `${host}/shop:${version}`);
    if (r.code !== 0) throw new Error(`release create --image failed: ${r.stderr}`);
    const release = await h.store.findRelease('shop', version);
    if (!release) throw new Error(`release ${version} was not registered`);
    return release;
  },
  appLog: /agent\/containers\/logs\/.*\.log$/,
  scansReleaseFiles: false,
  async runtimeHits(_h, secrets) {
    const e = engine as TestEngine;
    const hits: string[] = [];
    const containers = await ours(e, (registry as TestRegistry).host);
    if (containers.length < 2)
      hits.push(`expected staging's and production's containers, found ${containers.length}`);
    const scratch = tempDir('slipway-redaction-export-');
    try {
      for (const { name, image } of containers) {
        hits.push(...hitsIn(`podman inspect ${name}`, await e.podman('inspect', name), secrets));
        const environ = await e.podman(
          'exec',
          name,
          '/usr/local/bin/node',
          '-e',
          'process.stdout.write(require("fs").readFileSync("/proc/1/environ"))',
        );
        if (!environ.includes('STRIPE_KEY_FILE=/run/secrets/STRIPE_KEY'))
          hits.push(`${name}: its process does not get STRIPE_KEY as a file: ${environ}`);
        hits.push(...hitsIn(`environment of ${name}`, environ, secrets));
        const tar = join(scratch.path, `${name}.tar`);
        await e.podman('export', '-o', tar, name);
        hits.push(...hitsIn(`podman export ${name}`, readFileSync(tar, 'latin1'), secrets));
        hits.push(
          ...hitsIn(`podman image inspect ${image}`, await e.podman('image', 'inspect', image), secrets),
        );
      }
      for (const image of new Set(containers.map((c) => c.image))) {
        const tar = join(scratch.path, `${image}.image.tar`);
        await e.podman('save', '-o', tar, image);
        hits.push(...hitsIn(`layers of ${image}`, readFileSync(tar, 'latin1'), secrets));
      }
    } finally {
      scratch.cleanup();
    }
    return hits;
  },
  async teardown(h) {
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    try {
      if (engine && registry) {
        const left = (await ours(engine, registry.host)).map((c) => c.name);
        if (left.length > 0) await engine.podman('rm', '-f', '-t', '0', ...left);
        await removeRegistryImages(engine, registry.host);
        await engine.stop();
      }
      await registry?.stop();
    } finally {
      work.cleanup();
    }
    // Every container is gone, so is every secret file of this agent's containers.
    if (h) {
      const scope = scopeOf(resolve(join(h.dataDir, 'agent')));
      const root = defaultSecretsRoot();
      const kept = existsSync(root) ? readdirSync(root).filter((n) => n.includes(`-${scope}-`)) : [];
      if (kept.length > 0) throw new Error(`secret files left on the host: ${kept.join(', ')}`);
    }
  },
});
